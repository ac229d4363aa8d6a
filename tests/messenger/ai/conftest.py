"""An AI-enabled stack: the fake OpenAI server, its own redis-server, `voxhub serve --workers 2`
on PostgreSQL, and `voxhub ai-worker` processes that tests start, kill and stop."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.ports import free_port, port_open
from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.processes import spawn_logged, stop_group, wait_ready
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VOXHUB, VoxhubServer

AI_MAX_ATTEMPTS = 3


class AiWorkerProcess:
    """A real `voxhub ai-worker` with its own Prometheus port."""

    def __init__(self, server: VoxhubServer, name: str) -> None:
        self.metrics_port = free_port()
        self.log_path = os.path.join(server.workdir, f"ai-worker-{name}.log")
        self.process = spawn_logged(
            [VOXHUB, "ai-worker", "--consumer", name, "--metrics-port", str(self.metrics_port)],
            # Its own samples folder, as in its own container: its /metrics is its own.
            {
                **server.env,
                "PROMETHEUS_MULTIPROC_DIR": os.path.join(server.workdir, f"metrics-{name}"),
            },
            self.log_path,
        )
        wait_ready(
            self.process,
            lambda: port_open(self.metrics_port),
            30,
            f"ai-worker {name}",
            self.log_path,
        )

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics").text

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> int | None:
        return stop_group(self.process)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="test") as server:
        yield server


@pytest.fixture(autouse=True)
def fake_defaults(fake: FakeOpenAI) -> Iterator[None]:
    yield
    for route in fake.routes.values():
        route.succeed()
        route.release()
        route.text = "fake answer"


@pytest.fixture(scope="module")
def ai_redis() -> Iterator[RedisServer]:
    """Its own Redis: user channels are global in Redis and user ids restart per database."""
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def ai_server(
    fake: FakeOpenAI, ai_redis: RedisServer, postgres_server: PostgresServer
) -> Iterator[VoxhubServer]:
    server = VoxhubServer(
        workers=2,
        REDIS_URL=ai_redis.url,
        DATABASE_URL=postgres_server.create_database(),
        OPENAI_API_KEY="test",
        OPENAI_BASE_URL=fake.url + "/v1",
        OPENAI_TIMEOUT="60s",
        AI_CLAIM_IDLE="1s",
        AI_MAX_ATTEMPTS=str(AI_MAX_ATTEMPTS),
        RATE_LIMIT_PER_MINUTE="100000",
        # Members start with nothing: the tests give each the tokens its AI work costs.
        DEFAULT_TOKEN_BALANCE="0",
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ai_worker(ai_server: VoxhubServer) -> Iterator[AiWorkerProcess]:
    worker = AiWorkerProcess(ai_server, "w-" + os.urandom(3).hex())
    yield worker
    assert worker.stop() == 0


@pytest.fixture
async def http(ai_server: VoxhubServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=ai_server.url, timeout=10) as client:
        yield client
