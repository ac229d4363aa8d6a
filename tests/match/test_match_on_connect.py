"""MATCH_ON_CONNECT=true: seed 004's original behaviour, where every new socket waits in the
pool at once and a user whose partner leaves goes back into it, both without a frame."""

from __future__ import annotations

from tests.fixtures.voxhub_server import VoxhubServer
from tests.match.helpers import settled
from tests.ws.client import WsClient, close_all, on_two_workers

GO_ZERO_TIME = "0001-01-01T00:00:00Z"


async def two_pooled_sockets(server: VoxhubServer) -> tuple[WsClient, WsClient]:
    """One socket on each worker, both in the pool, nobody else connected."""
    await settled(server, waiting=0, active=0, rooms=0)
    first, second = await on_two_workers(server.ws_url)
    await settled(server, waiting=2, active=2, rooms=0)  # the spare sockets have left
    return first, second


async def test_the_go_integration_scenario(on_connect_cluster: VoxhubServer) -> None:
    """Two sockets, only one sends `find_match` (as the Go test does: `payload: null`, Go's
    zero time, a client `from`); both read `match_found` right after `session`."""
    first, second = await two_pooled_sockets(on_connect_cluster)
    await second.send(
        {"type": "find_match", "payload": None, "timestamp": GO_ZERO_TIME, "from": "go-test"}
    )
    found_first = (await first.expect("match_found"))["payload"]
    found_second = (await second.expect("match_found"))["payload"]
    assert found_first["partner_id"] == second.user_id
    assert found_second["partner_id"] == first.user_id
    assert found_first["room_id"] == found_second["room_id"]
    assert (found_first["role"], found_second["role"]) == ("callee", "caller")
    await settled(on_connect_cluster, waiting=0, active=2, rooms=1)
    await close_all([first, second])


async def test_a_new_socket_hears_nothing_but_its_session(
    on_connect_cluster: VoxhubServer,
) -> None:
    first, second = await two_pooled_sockets(on_connect_cluster)
    for client in (first, second):
        assert client.session["type"] == "session"
        await client.silent(0.3)  # no `waiting` frame of its own
    await close_all([first, second])
    await settled(on_connect_cluster, waiting=0, active=0, rooms=0)


async def test_the_partner_left_behind_goes_back_into_the_pool_silently(
    on_connect_cluster: VoxhubServer,
) -> None:
    first, second = await two_pooled_sockets(on_connect_cluster)
    await second.send({"type": "find_match", "payload": {}})
    room = (await first.expect("match_found"))["payload"]["room_id"]
    await second.expect("match_found")

    # `disconnect`: the leaver stays out of the pool, the one left behind is back in it.
    await second.send({"type": "disconnect", "payload": {}})
    left = await first.expect("partner_disconnected")
    assert left["payload"] == {"reason": "Partner left the conversation", "room_id": room}
    await settled(on_connect_cluster, waiting=1, active=2, rooms=0)
    await first.silent(0.2)

    # ...so the next find_match pairs with it at once.
    await second.send({"type": "find_match", "payload": {}})
    room = (await first.expect("match_found"))["payload"]["room_id"]
    assert (await second.expect("match_found"))["payload"]["role"] == "caller"

    # A closed socket: the same.
    await second.close()
    left = await first.expect("partner_disconnected")
    assert left["payload"] == {"reason": "Partner left the conversation", "room_id": room}
    await settled(on_connect_cluster, waiting=1, active=1, rooms=0)
    newcomer = await WsClient.connect(on_connect_cluster.ws_url)
    await newcomer.send({"type": "find_match", "payload": {}})
    found = (await newcomer.expect("match_found"))["payload"]
    assert found["partner_id"] == first.user_id
    await first.expect("match_found")
    await close_all([first, newcomer])


async def test_next_does_not_land_back_with_the_partner_it_skipped(
    on_connect_cluster: VoxhubServer,
) -> None:
    first, second = await two_pooled_sockets(on_connect_cluster)
    await second.send({"type": "find_match", "payload": {}})
    await first.expect("match_found")
    await second.expect("match_found")
    await second.send({"type": "find_match", "payload": {}})
    await first.expect("partner_disconnected")
    await second.expect("waiting")
    await settled(on_connect_cluster, waiting=2, active=2, rooms=0)
    await close_all([first, second])
