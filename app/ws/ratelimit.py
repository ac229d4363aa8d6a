"""Per-user (or per-address) message limits shared by every worker, via the `limits` library.

The sliding-window counter costs one small Redis script per check and two keys per user,
where the moving window would keep a list entry per message (100k entries for a generous
limit). With `memory://` everything is one process, so limits' async memory storage is exact.
A Redis outage fails open: a broken limiter must not take the whole realtime service down.
"""

from __future__ import annotations

import logging

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from app.config import Settings

log = logging.getLogger("voxhub.ratelimit")


def _storage(settings: Settings, redis: Redis) -> Storage:
    if settings.embedded:
        return MemoryStorage()
    url = settings.redis_url
    if url.startswith("unix://"):
        url = "redis+unix://" + url.removeprefix("unix://")
    # The worker's own (blocking) pool: a burst of checks waits for a connection instead of
    # opening a second pool that fails past its size.
    return RedisStorage(
        f"async+{url}",
        implementation="redispy",
        key_prefix="voxhub:limits",
        connection_pool=redis.connection_pool,
    )


class RateLimiter:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.item = RateLimitItemPerMinute(settings.rate_limit_per_minute)
        self.storage = _storage(settings, redis)
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)

    async def allow(self, key: str) -> bool:
        try:
            return await self.strategy.hit(self.item, key)
        except Exception as exc:
            log.warning("rate limiter unavailable, allowing: %s", exc)
            return True
