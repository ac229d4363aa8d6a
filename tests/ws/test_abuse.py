"""/ws limits a client cannot reset or ignore (issue 18, item 10), on a real `voxhub serve`.

Clients connect from distinct loopback addresses (127.0.0.x) so each test has addresses of
its own: the per-address limits are per worker (open sockets) and across workers (new
anonymous users), and the frame limit closes a socket that keeps sending past it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.fixtures.voxhub_server import VoxhubServer
from tests.ws.client import WsClient, close_all

SOCKETS_PER_ADDRESS = 3
ANONYMOUS_PER_MINUTE = 4
FRAMES_PER_MINUTE = 5
OVER_LIMIT_CLOSE = 5


@pytest.fixture(scope="module")
def guarded() -> Iterator[VoxhubServer]:
    server = VoxhubServer(
        workers=1,
        REDIS_URL="memory://",
        WS_SOCKETS_PER_ADDRESS=str(SOCKETS_PER_ADDRESS),
        WS_ANONYMOUS_PER_MINUTE=str(ANONYMOUS_PER_MINUTE),
        RATE_LIMIT_PER_MINUTE=str(FRAMES_PER_MINUTE),
        WS_OVER_LIMIT_CLOSE=str(OVER_LIMIT_CLOSE),
        HEARTBEAT_INTERVAL="30s",
    )
    server.start()
    yield server
    server.stop()


def source(host: str) -> dict[str, Any]:
    return {"local_addr": (host, 0)}


async def test_open_sockets_per_address_are_capped(guarded: VoxhubServer) -> None:
    tokens = [guarded.token(f"81{n}") for n in range(SOCKETS_PER_ADDRESS + 1)]
    held = [
        await WsClient.connect(guarded.ws_url, token=token, **source("127.0.0.11"))
        for token in tokens[:SOCKETS_PER_ADDRESS]
    ]
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(f"{guarded.ws_url}?token={tokens[-1]}", **source("127.0.0.11"))
    assert refused.value.response.status_code == 429
    elsewhere = await WsClient.connect(guarded.ws_url, token=tokens[-1], **source("127.0.0.12"))
    await held[0].close()
    await asyncio.sleep(0.3)  # the server's side of the close runs after the handshake
    again = await WsClient.connect(guarded.ws_url, token=tokens[0], **source("127.0.0.11"))
    await close_all([*held[1:], elsewhere, again])


async def test_reconnecting_without_a_token_does_not_reset_the_limits(
    guarded: VoxhubServer,
) -> None:
    users = set()
    for _ in range(ANONYMOUS_PER_MINUTE):
        client = await WsClient.connect(guarded.ws_url, **source("127.0.0.21"))
        users.add(client.user_id)
        await client.close()
    assert len(users) == ANONYMOUS_PER_MINUTE
    refused = await websockets.connect(guarded.ws_url, **source("127.0.0.21"))
    with pytest.raises(websockets.ConnectionClosed):
        await refused.recv()
    assert refused.close_code == 1008
    # Coming back with the session's token is the way: same user, same frame budget.
    back = await WsClient.connect(guarded.ws_url, token=client.token, **source("127.0.0.21"))
    assert back.user_id == client.user_id
    await back.close()


async def test_a_socket_that_keeps_sending_past_its_limit_is_closed(
    guarded: VoxhubServer,
) -> None:
    client = await WsClient.connect(
        guarded.ws_url, token=guarded.token("8201"), **source("127.0.0.31")
    )
    for _ in range(FRAMES_PER_MINUTE):
        await client.send({"type": "ping"})
        await client.expect("pong")
    for _ in range(OVER_LIMIT_CLOSE - 1):
        await client.send({"type": "ping"})
        await client.expect_error("rate_limited")
    await client.send("{not even json")  # counted before it is parsed
    assert await client.closed_with() == 1008


async def test_pongs_are_counted(guarded: VoxhubServer) -> None:
    """A few per heartbeat are free; a flood of them spends the budget and closes the socket."""
    client = await WsClient.connect(
        guarded.ws_url, token=guarded.token("8301"), **source("127.0.0.41")
    )
    for _ in range(3 + FRAMES_PER_MINUTE + OVER_LIMIT_CLOSE):
        await client.send({"type": "pong"})
    assert await client.closed_with() == 1008
