"""The compose topology on loopback: nginx (deploy/nginx.conf) in front of two `voxhub serve`.

Its own redis-server keeps this stack's pub/sub channels apart from the other test servers of
the run (channels are global across Redis databases, and user ids repeat across PostgreSQL
databases). A fake OpenAI server stands in for OpenAI so the AI and Realtime paths run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.deploy.nginx import NginxServer
from tests.fixtures.fake_openai import Body, FakeOpenAI, FakeRoute
from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer


def realtime_secret_reply(route: FakeRoute, body: Body) -> Body:
    """OpenAI's `POST /v1/realtime/client_secrets` answer shape."""
    return {
        "value": f"ek_test_{route.next_id()}",
        "expires_at": int(time.time()) + 600,
        "session": body.get("session", {}),
    }


@dataclass
class DeployStack:
    redis: RedisServer
    openai: FakeOpenAI
    apis: list[VoxhubServer]
    nginx: NginxServer

    @property
    def env(self) -> dict[str, str]:
        """The settings every process of this stack shares (as in docker-compose.yml)."""
        return {k: self.apis[0].env[k] for k in STACK_VARIABLES}


STACK_VARIABLES = ("REDIS_URL", "DATABASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "AI_API")


@pytest.fixture(scope="session")
def deploy_stack(postgres_server: PostgresServer) -> Iterator[DeployStack]:
    redis = RedisServer()
    redis.start()
    openai = FakeOpenAI().start()
    openai.route("/v1/realtime/client_secrets", realtime_secret_reply)
    shared = {
        "REDIS_URL": redis.url,
        "DATABASE_URL": postgres_server.create_database(),
        "OPENAI_API_KEY": openai.api_key or "test",
        "OPENAI_BASE_URL": openai.url + "/v1",
        "AI_API": "responses",
        "HEARTBEAT_INTERVAL": "5s",
        "RATE_LIMIT_PER_MINUTE": "100000",
        "MIN_TOKEN_THRESHOLD": "100",
    }
    apis = [VoxhubServer(workers=1, **shared) for _ in range(2)]
    nginx: NginxServer | None = None
    try:
        for api in apis:
            api.start()
        nginx = NginxServer([api.port for api in apis])
        nginx.start()
        yield DeployStack(redis, openai, apis, nginx)
    finally:
        if nginx:
            nginx.stop()
        for api in apis:
            api.stop()
        openai.stop()
        redis.close()
