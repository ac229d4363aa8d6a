"""The fault and fuzz suite's server: two workers on real Redis and PostgreSQL, OpenAI faked
locally, and the rate limits high enough that the fuzzers reach the handlers behind them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer

API_KEY = "sk-test-fuzz"


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture(scope="module")
def fuzz_cluster(
    redis_server: RedisServer, postgres_server: PostgresServer, fake_openai: FakeOpenAI
) -> Iterator[VoxhubServer]:
    server = VoxhubServer(
        workers=2,
        REDIS_URL=redis_server.url.replace("/0", "/11"),
        DATABASE_URL=postgres_server.create_database(),
        RATE_LIMIT_PER_MINUTE="1000000",
        OPENAI_API_KEY=API_KEY,
        OPENAI_BASE_URL=fake_openai.url + "/v1",
        OPENAI_TIMEOUT="2s",
    )
    server.start()
    yield server
    server.stop()
