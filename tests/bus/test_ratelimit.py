"""The leased rate limiter on real Redis: two limiters stand for two worker processes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from app.bus.ratelimit import LEASE_SECONDS, RateLimiter
from app.config import Settings
from app.errors import DomainError
from tests.fixtures.ports import free_port
from tests.fixtures.redis_server import RedisServer

LIMIT = 640  # leases of up to 640 // 64 = 10 frames


def _limiter(redis_server: RedisServer, redis: Redis) -> RateLimiter:
    settings = Settings.from_env(
        {"REDIS_URL": redis_server.url, "RATE_LIMIT_PER_MINUTE": str(LIMIT)}, dotenv=False
    )
    return RateLimiter(settings, redis)


async def test_two_workers_never_admit_more_than_the_limit(redis_server: RedisServer) -> None:
    redis = Redis.from_url(redis_server.url, decode_responses=True)
    workers = [_limiter(redis_server, redis), _limiter(redis_server, redis)]
    key = f"test:{uuid.uuid4()}"
    admitted = [0, 0]
    for frame in range(2 * LIMIT):
        index = (frame // 7) % 2  # bursts alternating between the workers
        admitted[index] += await workers[index].allow(key)
    total = sum(admitted)
    assert total <= LIMIT
    # Refused early only by what the other worker still holds of its last lease.
    assert total >= LIMIT - 2 * workers[0].max_lease
    assert min(admitted) > LIMIT // 4
    await redis.aclose()


async def test_a_lease_admits_without_asking_redis(redis_server: RedisServer) -> None:
    redis = Redis.from_url(redis_server.url, decode_responses=True)
    limiter = _limiter(redis_server, redis)
    key = f"test:{uuid.uuid4()}"
    asked = 0
    for _ in range(100):
        if not limiter.allow_now(key):
            asked += 1
            assert await limiter.allow(key)
    # Slow start 1, 2, 4, 8, then leases of 10: far fewer scripts than frames.
    assert asked <= 15
    # A lease is spent within LEASE_SECONDS of its charge, or not at all.
    await asyncio.sleep(LEASE_SECONDS)
    limiter.prune()
    assert not limiter.allow_now(key)
    await redis.aclose()


async def test_an_outage_fails_open_for_messages_and_closed_for_log_ins() -> None:
    """Nothing listens on the port: frames keep flowing, password guesses wait for Redis."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    redis = Redis.from_url(url, decode_responses=True, socket_connect_timeout=0.5)
    limiter = RateLimiter(Settings.from_env({"REDIS_URL": url}, dotenv=False), redis)
    try:
        assert await limiter.allow(f"test:{uuid.uuid4()}")
        with pytest.raises(DomainError) as refused:
            await limiter.allow_exact(f"login:user:{uuid.uuid4()}", 10)
        assert refused.value.status == 503
        assert refused.value.headers == {"Retry-After": "5"}
    finally:
        await redis.aclose()
