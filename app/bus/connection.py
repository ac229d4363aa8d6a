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
    if settings.embedded:
        import fakeredis

        return fakeredis.FakeAsyncRedis(server=memory_server(), decode_responses=True)
    # A blocking pool makes a burst wait for a free connection instead of failing with
    # "Too many connections": a thousand sockets acting at once must queue, not lose work.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout,
        decode_responses=True,
        socket_connect_timeout=5,
        socket_keepalive=True,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
    )
    return Redis(connection_pool=pool)
