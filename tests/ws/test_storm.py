"""Reconnect storms: every socket that comes back at once gets in, refused ones with a hint."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.fdlimit import raise_open_files
from bench.storm_client import all_alive, storm
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer

# Each client socket and its server side, with room for the servers' own descriptors.
OPEN_FILES = 16384


def _storm_server(workers: int, **env: str) -> Iterator[VoxhubServer]:
    raise_open_files(OPEN_FILES)  # inherited by the server started below
    server = VoxhubServer(workers=workers, **env)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def storm_cluster(redis_server: RedisServer) -> Iterator[VoxhubServer]:
    """Two workers on real Redis, admitting fewer sockets per second than the storm brings."""
    yield from _storm_server(
        2,
        REDIS_URL=redis_server.url,
        CONNECT_RATE="500",
        RATE_LIMIT_PER_MINUTE="100000",
    )


@pytest.fixture(scope="module")
def storm_embedded() -> Iterator[VoxhubServer]:
    yield from _storm_server(1, REDIS_URL="memory://", CONNECT_RATE="300")


async def _storm_twice(server: VoxhubServer, sockets: int) -> list[int]:
    """Open `sockets` at once, check each is attached, close all at once, then every client
    reconnects at once with its own token. Returns the retries of each round."""
    ws_url = server.url.replace("http://", "ws://") + "/ws"
    first = await storm([ws_url] * sockets)
    assert not first.failures and len(first.sessions) == sockets, first.failures
    assert len({session["worker"] for session in first.sessions}) == server.workers
    assert await all_alive(first.sockets) == sockets
    tokens = [session["token"] for session in first.sessions]
    users = {session["user_id"] for session in first.sessions}
    await first.close()

    again = await storm([f"{ws_url}?token={token}" for token in tokens])
    assert not again.failures and len(again.sessions) == sockets, again.failures
    assert {session["user_id"] for session in again.sessions} == users
    assert await all_alive(again.sockets) == sockets
    await again.close()
    log = await asyncio.to_thread(Path(server.log_path).read_text)
    assert "Traceback" not in log
    return [sum(first.retries.values()), sum(again.retries.values())]


async def test_a_storm_of_3000_over_two_workers_all_get_in(storm_cluster: VoxhubServer) -> None:
    retries = await _storm_twice(storm_cluster, 3000)
    # 3,000 at once against 2 x 500 admissions per second: the rest were told to come back.
    assert all(count > 0 for count in retries), retries


async def test_a_storm_of_1000_on_the_embedded_server_all_get_in(
    storm_embedded: VoxhubServer,
) -> None:
    retries = await _storm_twice(storm_embedded, 1000)
    assert all(count > 0 for count in retries), retries
