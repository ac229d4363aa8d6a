"""One fake OpenAI Realtime server for the folder, and Voxhub servers pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.accounts.client import Api
from tests.fixtures.fake_realtime import FakeRealtime
from tests.fixtures.voxhub_server import VoxhubServer

API_KEY = "sk-test-metered"


def metered_env(fake: FakeRealtime, **overrides: str) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": fake.url,
        "OPENAI_TIMEOUT": "2s",
        "REALTIME_HOLD_TOKENS": "1000",
        "REALTIME_LOW_WATER_TOKENS": "400",
        "REALTIME_REATTACH_TIMEOUT": "3s",
        "REALTIME_CALLS_PER_MINUTE": "10000",
        "RATE_LIMIT_PER_MINUTE": "100000",
        **overrides,
    }


@pytest.fixture(scope="package")
def fake() -> Iterator[FakeRealtime]:
    with FakeRealtime(API_KEY) as server:
        yield server


@pytest.fixture
def knobs(fake: FakeRealtime) -> Iterator[FakeRealtime]:
    """The fake with its default pace and price, restored after the test."""
    yield fake
    fake.pace, fake.turns, fake.tokens_per_response, fake.deltas = 0.2, None, 300, 0
    fake.fail_status, fake.fail_times, fake.create_delay = None, 0, 0.0


@pytest.fixture(scope="package")
def embedded(fake: FakeRealtime) -> Iterator[Api]:
    """`voxhub serve` as `make run` starts it: the sideband engine runs inside."""
    server = VoxhubServer(REDIS_URL="memory://", **metered_env(fake))
    server.start()
    yield Api(server)
    server.stop()
