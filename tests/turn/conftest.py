"""A real coturn for the session, and a cluster that hands out credentials for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.turn_server import TurnServer
from tests.fixtures.voxhub_server import VoxhubServer

STUN = "stun:stun.example.net:3478"
PER_MINUTE = 5


@pytest.fixture(scope="session")
def turn_server() -> Iterator[TurnServer]:
    server = TurnServer()
    server.start()
    yield server
    server.close()


def turn_env(turn: TurnServer) -> dict[str, str]:
    return {"TURN_SECRET": turn.secret, "TURN_URLS": ",".join(turn.urls)}


@pytest.fixture(scope="module")
def turn_cluster(
    turn_server: TurnServer, redis_server: RedisServer, postgres_server: PostgresServer
) -> Iterator[VoxhubServer]:
    """Two workers on real Redis and PostgreSQL, TURN_SECRET shared with `turn_server`."""
    server = VoxhubServer(
        workers=2,
        REDIS_URL=redis_server.url.replace("/0", "/9"),
        DATABASE_URL=postgres_server.create_database(),
        RATE_LIMIT_PER_MINUTE="100000",
        STUN_SERVERS=STUN,
        TURN_CREDENTIALS_PER_MINUTE=str(PER_MINUTE),
        **turn_env(turn_server),
    )
    server.start()
    yield server
    server.stop()
