"""The /ws gateway on two real worker processes (the session `cluster`) and on own servers
where a test needs special limits."""

from __future__ import annotations

import asyncio
import json
import signal
from contextlib import suppress

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus
from websockets.frames import Frame, Opcode

from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer
from tests.ws.client import WsClient, close_all, connect_many, connect_spread


async def test_session_first_then_same_user_on_reconnect(cluster: VoxhubServer) -> None:
    client = await WsClient.connect(cluster.ws_url)
    payload = client.session["payload"]
    assert payload["user_id"] and payload["token"] and payload["worker"]
    assert payload["role"] == "anon"
    assert client.session["timestamp"].endswith("Z")
    await client.close()

    again = await WsClient.connect(cluster.ws_url, token=client.token)
    assert again.user_id == client.user_id
    await again.close()

    registered = await WsClient.connect(cluster.ws_url, token=cluster.token("42"))
    assert registered.user_id == "42" and registered.session["payload"]["role"] == "user"
    await registered.close()


async def test_invalid_token_closes_4001(cluster: VoxhubServer) -> None:
    ws = await websockets.connect(f"{cluster.ws_url}?token=not-a-jwt")
    with pytest.raises(websockets.ConnectionClosed):
        await ws.recv()
    assert ws.close_code == 4001


async def test_bad_bearer_header_is_refused_before_upgrade(cluster: VoxhubServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(cluster.ws_url, additional_headers={"Authorization": "Bearer x"})
    assert refused.value.response.status_code == 401


async def test_bad_frames_get_errors_and_the_socket_stays_open(cluster: VoxhubServer) -> None:
    client = await WsClient.connect(cluster.ws_url)
    await client.send("{not json")
    await client.expect_error("bad_json")
    await client.send("[1, 2]")
    await client.expect_error("bad_frame")
    await client.send({"payload": {}})
    await client.expect_error("bad_frame")
    await client.send({"type": 7})
    await client.expect_error("bad_frame")
    await client.ws.send(b"\x00\x01binary")
    await client.expect_error("bad_frame")
    await client.send({"type": "no_such_type"})
    error = await client.expect_error("unknown_type")
    assert "timestamp" in error
    await client.send({"type": "ping"})
    await client.expect("pong")
    await client.close()


async def test_oversized_frame_closes_1009(cluster: VoxhubServer) -> None:
    client = await WsClient.connect(cluster.ws_url)
    await client.send({"type": "ping", "payload": "x" * 70_000})
    assert await client.closed_with() == 1009


async def test_heartbeat_pings_and_silent_sockets_are_closed(cluster: VoxhubServer) -> None:
    async with websockets.connect(cluster.ws_url) as ws:
        _never_answer_protocol_pings(ws)
        assert json.loads(await ws.recv())["type"] == "session"
        ping = json.loads(await asyncio.wait_for(ws.recv(), 3))
        assert ping["type"] == "ping" and ping["timestamp"]
        # Never answer: closed after CONNECTION_TIMEOUT (3s) plus at most one beat (1s).
        async with asyncio.timeout(8):
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await ws.recv()
        assert ws.close_code == 4408

    answering = await WsClient.connect(cluster.ws_url)
    await asyncio.sleep(4.5)  # longer than CONNECTION_TIMEOUT: pongs keep it open
    await answering.send({"type": "ping"})
    await answering.expect("pong")
    await answering.close()


async def test_answering_protocol_pings_alone_keeps_a_socket_open(cluster: VoxhubServer) -> None:
    """The roulette pages never answer the JSON `ping`; their browser answers the protocol
    Ping by itself (as the websockets client does here), and that is enough."""
    async with websockets.connect(cluster.ws_url, ping_interval=None) as ws:
        assert json.loads(await ws.recv())["type"] == "session"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.5  # longer than CONNECTION_TIMEOUT (3s) plus a beat
        while (left := deadline - loop.time()) > 0:
            with suppress(TimeoutError):  # a close would raise ConnectionClosed instead
                frame = json.loads(await asyncio.wait_for(ws.recv(), left))
                assert frame["type"] == "ping"  # never answered
        await ws.send(json.dumps({"type": "ping"}))
        while (frame := json.loads(await asyncio.wait_for(ws.recv(), 3)))["type"] == "ping":
            pass
        assert frame["type"] == "pong"


def _never_answer_protocol_pings(ws: ClientConnection) -> None:
    """websockets answers every Ping with a Pong; a silent peer must not."""
    send_frame = ws.protocol.send_frame

    def unless_pong(frame: Frame) -> None:
        if frame.opcode is not Opcode.PONG:
            send_frame(frame)

    ws.protocol.send_frame = unless_pong  # type: ignore[method-assign]


async def test_open_connections_are_summed_over_workers(cluster: VoxhubServer) -> None:
    # Concurrent connects may all wake one worker: spread them until both hold some.
    by_worker = await connect_spread(cluster.ws_url, 6)
    clients = [client for group in by_worker.values() for client in group]
    assert len(by_worker) == 2
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        text = (await http.get("/metrics")).text
    gauge = [line for line in text.splitlines() if line.startswith("voxhub_ws_connections ")]
    assert gauge and float(gauge[0].split()[1]) >= len(clients) >= 12
    assert 'voxhub_ws_messages_total{direction="out",type="session"}' in text
    await close_all(clients)


@pytest.fixture(scope="module")
def limited(redis_server: RedisServer):
    """Two workers on real Redis with a tiny message allowance."""
    server = VoxhubServer(
        workers=2, REDIS_URL=redis_server.url, RATE_LIMIT_PER_MINUTE="5", HEARTBEAT_INTERVAL="1s"
    )
    server.start()
    yield server
    server.stop()


async def test_rate_limit_is_per_user_across_workers(limited: VoxhubServer) -> None:
    token = limited.token("7001")
    sockets = [await WsClient.connect(limited.ws_url, token=token) for _ in range(4)]
    while len({s.worker for s in sockets}) < 2 and len(sockets) < 40:
        sockets.append(await WsClient.connect(limited.ws_url, token=token))
    assert len({s.worker for s in sockets}) == 2, "the user's sockets should span both workers"
    answers = []
    for index in range(8):
        client = sockets[index % len(sockets)]
        await client.send({"type": "ping"})
        answers.append((await client.next())["type"])
    assert answers.count("pong") == 5
    assert answers.count("error") == 3
    # Limited, not dropped: keep-alive still flows and the socket stays usable.
    await sockets[0].send({"type": "pong"})
    await sockets[0].send({"type": "ping"})
    await sockets[0].expect_error("rate_limited")
    await asyncio.sleep(1.5)  # a heartbeat ping was answered by the client: still open
    assert sockets[0].ws.close_code is None
    other = await WsClient.connect(limited.ws_url, token=limited.token("7002"))
    await other.send({"type": "ping"})
    await other.expect("pong")
    await close_all([*sockets, other])


async def test_max_connections_then_graceful_shutdown_closes_1001() -> None:
    server = VoxhubServer(workers=1, REDIS_URL="memory://", MAX_CONNECTIONS="2")
    server.start()
    try:
        first, second = await connect_many(server.ws_url, 2)
        third = await websockets.connect(server.ws_url)
        with pytest.raises(websockets.ConnectionClosed):
            await third.recv()
        assert third.close_code == 1013
        server.process.send_signal(signal.SIGTERM)
        assert await first.closed_with() == 1001
        assert await second.closed_with() == 1001
    finally:
        server.stop()


def test_a_worker_counts_in_stats_from_its_start() -> None:
    """Presence is announced at start, not one (here: minute-long) heartbeat later."""
    server = VoxhubServer(REDIS_URL="memory://", HEARTBEAT_INTERVAL="60s")
    server.start()
    try:
        assert httpx.get(server.url + "/stats").json()["workers"] == 1
    finally:
        server.stop()


async def test_a_deeply_nested_frame_is_an_error_frame(cluster: VoxhubServer) -> None:
    """json.loads raises RecursionError, not ValueError, past the interpreter's stack."""
    client = await WsClient.connect(cluster.ws_url)
    await client.send("[" * 5_000 + "]" * 5_000)
    await client.expect_error("bad_json")
    await client.send({"type": "ping"})
    await client.expect("pong")
    await client.close()
