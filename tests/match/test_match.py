"""Random voice chat on two real worker processes and real Redis: matchmaking and rooms."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter

from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer
from tests.match.helpers import CANDIDATE, pair, stats
from tests.ws.client import (
    WsClient,
    close_all,
    connect_many,
    connect_spread,
    on_two_workers,
    until_both_workers_ready,
)

LEFT = "Partner left the conversation"


async def test_cross_worker_match_crosses_ids_and_makes_the_finder_the_caller(
    cluster: VoxhubServer,
) -> None:
    a, b = await on_two_workers(cluster.ws_url)
    found_a, found_b = await pair(a, b)
    assert found_a["partner_id"] == b.user_id and found_b["partner_id"] == a.user_id
    assert found_a["room_id"] == found_b["room_id"]
    # The clients' rule: the caller sends the offer at once, the callee waits for it.
    assert (found_a["role"], found_b["role"]) == ("callee", "caller")
    await close_all([a, b])


async def test_next_disconnect_and_close_tell_the_partner(cluster: VoxhubServer) -> None:
    a, b = await on_two_workers(cluster.ws_url)
    first_room = (await pair(a, b))[0]["room_id"]

    # find_match while in a room: leave it first ("next"); the old partner is told.
    await a.send({"type": "find_match", "payload": {}})
    left = await b.expect("partner_disconnected")
    assert left["payload"] == {"reason": LEFT, "room_id": first_room}
    await a.expect("waiting")
    await b.send({"type": "ice_candidate", "payload": CANDIDATE})
    await b.silent(0.3)  # no room: a late candidate is dropped without a word

    await b.send({"type": "find_match", "payload": {}})
    second = (await a.expect("match_found"))["payload"]
    await b.expect("match_found")
    await b.send({"type": "disconnect", "payload": {}})
    left = await a.expect("partner_disconnected")
    assert left["payload"] == {"reason": LEFT, "room_id": second["room_id"]}

    # `disconnect` keeps the socket open: the same socket finds its next partner.
    await b.send({"type": "find_match", "payload": {}})
    await b.expect("waiting")
    await a.send({"type": "find_match", "payload": {}})
    third = (await a.expect("match_found"))["payload"]
    assert (await b.expect("match_found"))["payload"]["room_id"] == third["room_id"]
    await a.close()
    lost = await b.expect("partner_disconnected")
    assert lost["payload"] == {"reason": LEFT, "room_id": third["room_id"]}
    await b.close()


async def test_disconnect_outside_a_room_and_repeated_keeps_the_socket(
    cluster: VoxhubServer,
) -> None:
    a, b = await on_two_workers(cluster.ws_url)
    await a.send({"type": "disconnect", "payload": {}})
    await a.send({"type": "disconnect", "payload": None})
    await a.silent(0.3)
    found_a, _ = await pair(a, b)
    await a.send({"type": "disconnect", "payload": {}})
    await b.expect("partner_disconnected")
    await a.send({"type": "get_ice_servers", "payload": {}})
    assert (await a.expect("ice_servers"))["payload"] == {"iceServers": []}
    assert a.ws.close_code is None
    await close_all([a, b])


async def test_ids_needing_json_escapes_are_matched_relayed_and_told(
    cluster: VoxhubServer,
) -> None:
    """The pairing script writes the ids into the frames it publishes: they must arrive as
    sent, and the partner cache they fill must relay."""
    subs = ['quote"d', "ünï/côdé\\"]
    a = await WsClient.connect(cluster.ws_url, cluster.token(subs[0]))
    b = await WsClient.connect(cluster.ws_url, cluster.token(subs[1]))
    found_a, found_b = await pair(a, b)
    assert (found_a["partner_id"], found_b["partner_id"]) == (subs[1], subs[0])
    await a.send({"type": "ice_candidate", "payload": CANDIDATE, "to": subs[1]})
    relayed = await b.expect("ice_candidate")
    assert (relayed["from"], relayed["to"]) == (subs[0], subs[1])
    await b.send({"type": "disconnect"})
    left = await a.expect("partner_disconnected")
    assert left["payload"] == {
        "reason": "Partner left the conversation",
        "room_id": found_a["room_id"],
    }
    await close_all([a, b])


async def test_matching_on_the_embedded_server(embedded: VoxhubServer) -> None:
    """The in-process Redis runs the same scripts: pairing, publishing, leaving."""
    a = await WsClient.connect(embedded.ws_url)
    b = await WsClient.connect(embedded.ws_url)
    found_a, found_b = await pair(a, b)
    assert (found_a["partner_id"], found_b["partner_id"]) == (b.user_id, a.user_id)
    await b.send({"type": "find_match"})
    assert (await a.expect("partner_disconnected"))["payload"]["room_id"] == found_a["room_id"]
    await b.expect("waiting")
    await close_all([a, b])


async def test_200_clients_at_once_make_exactly_100_rooms(cluster: VoxhubServer) -> None:
    await until_both_workers_ready(cluster.ws_url)
    before = await stats(cluster)
    clients = await connect_many(cluster.ws_url, 200)
    assert len({client.worker for client in clients}) == 2
    await asyncio.gather(*(client.send({"type": "find_match"}) for client in clients))

    async def first_match(client: WsClient) -> dict:
        while True:
            frame = await client.next(timeout=20)
            if frame["type"] == "match_found":
                return frame["payload"]
            assert frame["type"] == "waiting", frame

    found = await asyncio.gather(*(first_match(client) for client in clients))
    by_user = {client.user_id: match for client, match in zip(clients, found, strict=True)}
    rooms = Counter(match["room_id"] for match in found)
    assert len(rooms) == 100 and set(rooms.values()) == {2}
    for user, match in by_user.items():
        partner = match["partner_id"]
        assert partner != user
        assert by_user[partner]["partner_id"] == user
        assert by_user[partner]["room_id"] == match["room_id"]
        assert {match["role"], by_user[partner]["role"]} == {"caller", "callee"}
    await asyncio.gather(*(client.silent(0.3) for client in clients))  # no second match
    now = await stats(cluster)
    assert now["active_rooms"] - before["active_rooms"] == 100
    assert now["waiting_users"] == before["waiting_users"]

    await close_all(clients)
    for _ in range(100):
        now = await stats(cluster)
        if now["active_rooms"] == before["active_rooms"]:
            break
        await asyncio.sleep(0.1)
    assert now["active_rooms"] == before["active_rooms"], (now, cluster.log_path)


def _pid_of(worker_id: str) -> int:
    """Worker ids are `<host>-<pid>-<random>`."""
    return int(worker_id.rsplit("-", 2)[1])


async def test_killed_worker_partners_told_and_stats_settle(redis_server: RedisServer) -> None:
    server = VoxhubServer(
        workers=2,
        REDIS_URL=redis_server.url.replace("/0", "/3"),
        HEARTBEAT_INTERVAL="1s",
        CONNECTION_TIMEOUT="3s",
        CLEANUP_INTERVAL="1s",
    )
    server.start()
    try:
        by_worker = await connect_spread(server.ws_url, 4)
        workers = sorted(by_worker)
        doomed, survivors = by_worker[workers[0]], by_worker[workers[1]]
        pairs = list(zip(doomed, survivors, strict=False))
        for victim, survivor in pairs:
            await pair(victim, survivor)
        spare = doomed[len(pairs) :]
        if spare:  # one more victim waits in the queue: it must not become a ghost match
            await spare[0].send({"type": "find_match"})
            await spare[0].expect("waiting")
        assert (await stats(server))["active_rooms"] == len(pairs)

        os.kill(_pid_of(workers[0]), signal.SIGKILL)
        killed_at = asyncio.get_running_loop().time()
        for _, survivor in pairs:
            lost = await survivor.expect("partner_disconnected", timeout=8)
            assert lost["payload"]["reason"] == "Partner lost connection"
        # CONNECTION_TIMEOUT + CLEANUP_INTERVAL, plus one heartbeat of slack for the last
        # presence refresh before the kill.
        assert asyncio.get_running_loop().time() - killed_at <= 3 + 1 + 1.5

        settled = (0, 0, len(survivors))
        for _ in range(50):
            now = await stats(server)
            if (now["active_rooms"], now["waiting_users"], now["active_users"]) == settled:
                break
            await asyncio.sleep(0.1)
        assert (now["active_rooms"], now["waiting_users"], now["active_users"]) == settled, now

        lonely = survivors[0]
        await lonely.send({"type": "find_match"})
        await lonely.expect("waiting")
        await close_all(survivors)
    finally:
        server.stop()
