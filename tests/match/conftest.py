"""A second cluster for the random chat: seed 004's original behaviour (MATCH_ON_CONNECT) and
configured ICE servers, on its own Redis database so its /stats counts only its own sockets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer

STUN_URLS = ["stun:stun.example.net:3478", "stun:stun2.example.net:19302"]
TURN = {"url": "turn:turn.example.net:3478?transport=udp", "username": "vox", "password": "s3"}


@pytest.fixture(scope="session")
def on_connect_cluster(
    redis_server: RedisServer, postgres_server: PostgresServer
) -> Iterator[VoxhubServer]:
    """`voxhub serve --workers 2` with MATCH_ON_CONNECT=true, STUN and TURN configured."""
    server = VoxhubServer(
        workers=2,
        REDIS_URL=redis_server.url.replace("/0", "/7"),
        DATABASE_URL=postgres_server.create_database(),
        HEARTBEAT_INTERVAL="1s",
        CONNECTION_TIMEOUT="3s",
        CLEANUP_INTERVAL="1s",
        RATE_LIMIT_PER_MINUTE="100000",
        MATCH_ON_CONNECT="true",
        STUN_SERVERS=",".join(STUN_URLS),
        TURN_URL=TURN["url"],
        TURN_USERNAME=TURN["username"],
        TURN_PASSWORD=TURN["password"],
    )
    server.start()
    yield server
    server.stop()
