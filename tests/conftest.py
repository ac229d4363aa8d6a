"""Session-wide real servers: one redis-server, one PostgreSQL, started once per run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.processes import SCRATCH_DIRS
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def cluster(redis_server: RedisServer, postgres_server: PostgresServer) -> Iterator[VoxhubServer]:
    """`voxhub serve --workers 2` on real Redis and PostgreSQL, shared by the whole run."""
    server = VoxhubServer(
        workers=2,
        REDIS_URL=redis_server.url,
        DATABASE_URL=postgres_server.create_database(),
        HEARTBEAT_INTERVAL="1s",
        CONNECTION_TIMEOUT="3s",
        CLEANUP_INTERVAL="1s",
        RATE_LIMIT_PER_MINUTE="100000",
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def embedded() -> Iterator[VoxhubServer]:
    """The `make run` default: SQLite and the in-process Redis-compatible server."""
    server = VoxhubServer(workers=1, REDIS_URL="memory://")
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh, migrated-on-demand database of each kind, for storage tests."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/voxhub.db"
    return request.getfixturevalue("postgres_server").create_database()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A passing run leaves no server folders behind; a failing one keeps them for their logs."""
    if exitstatus == 0:
        for path in SCRATCH_DIRS:
            shutil.rmtree(path, ignore_errors=True)
