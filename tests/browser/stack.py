"""The servers the pages talk to, all inside the loopback namespace.

Two `voxhub serve` processes (one worker each, like two pods behind nginx) on one real Redis
and one PostgreSQL, so two browser contexts are on two different workers by construction;
a `voxhub media-worker` answers `POST /webrtc`, a `voxhub ai-worker` writes advice through the
fake OpenAI server.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer
from tests.media.conftest import MediaWorkerProcess
from tests.messenger.ai.conftest import AiWorkerProcess


class WebStack:
    def __init__(self, a: VoxhubServer, b: VoxhubServer, fake: FakeOpenAI) -> None:
        self.a = a
        self.b = b
        self.fake = fake


@contextmanager
def web_stack(redis_server: RedisServer, postgres_server: PostgresServer) -> Iterator[WebStack]:
    env = {
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": postgres_server.create_database(),
        "RATE_LIMIT_PER_MINUTE": "100000",
        "MEDIA_HOST_ADDRESSES": "127.0.0.1",
        "STUN_SERVERS": "",
        "OPENAI_API_KEY": "test",
        "OPENAI_TIMEOUT": "30s",
        # Above MIN_TOKEN_THRESHOLD, so the console can start a voice session.
        "DEFAULT_TOKEN_BALANCE": "5000",
    }
    servers: list[VoxhubServer] = []
    workers: list[MediaWorkerProcess | AiWorkerProcess] = []
    client = redis.Redis.from_url(redis_server.url)
    with FakeOpenAI(api_key="test") as fake:
        env["OPENAI_BASE_URL"] = fake.url + "/v1"
        try:
            for _ in range(2):
                servers.append(VoxhubServer(workers=1, **env))
                servers[-1].start()
            a, b = servers
            media = MediaWorkerProcess(a.env, a.workdir)
            workers.append(media)
            media.start(client)
            workers.append(AiWorkerProcess(a, "web"))
            yield WebStack(a, b, fake)
        finally:
            for worker in workers:
                worker.stop()
            for server in servers:
                server.stop()
                shutil.rmtree(server.workdir, ignore_errors=True)
            client.close()
