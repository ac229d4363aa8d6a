"""Redis clients for `redis://…` and for the embedded `memory://` default.

`memory://` is fakeredis (with lupa, so Lua scripts run) on one in-process server shared by
every client of the process: pub/sub, streams, TTLs and scripts behave as on Redis, so one code
path serves both modes.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from app.config import Settings

_memory_server: Any = None


def memory_server() -> Any:
    """The process-wide in-memory server (a `fakeredis.FakeServer`, created on first use)."""
    global _memory_server
    if _memory_server is None:
        import fakeredis

        _memory_server = fakeredis.FakeServer()
    return _memory_server


def create_redis(settings: Settings) -> Redis:
    """A client whose pool makes a burst wait (up to REDIS_POOL_TIMEOUT) for a free connection
    instead of failing with "Too many connections": a thousand sockets acting at once must
    queue, not lose work. The embedded server gets the same kind of pool."""
    if settings.embedded:
        import fakeredis
        from fakeredis.aioredis import FakeAsyncRedisConnection

        embedded_pool = BlockingConnectionPool(
            connection_class=FakeAsyncRedisConnection,
            server=memory_server(),
            max_connections=settings.redis_max_connections,
            timeout=settings.redis_pool_timeout,
            decode_responses=True,
        )
        return fakeredis.FakeAsyncRedis(connection_pool=embedded_pool)
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        password=settings.redis_password or None,  # a password in the URL wins
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout,
        decode_responses=True,
        socket_connect_timeout=5,
        socket_keepalive=True,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
    )
    return Redis(connection_pool=pool)
