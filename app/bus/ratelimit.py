"""Per-user (or per-address) message limits shared by every worker, via the `limits` library.

The sliding-window counter costs one small Redis script per check and two keys per user,
where the moving window would keep a list entry per message (100k entries for a generous
limit). With `memory://` everything is one process, so limits' async memory storage is exact.
A Redis outage fails open for message limits (a broken limiter must not take the whole
realtime service down) and closed for the security-relevant ones (`allow_exact`).

A script per frame was a fifth of a worker's CPU and a round trip in front of every relay, so
a worker takes a small *lease* of the user's cluster-wide allowance in one hit and spends it
locally, without awaiting anything, for at most `LEASE_SECONDS`:
- the cluster-wide count is charged before a frame is admitted, so no user ever gets more than
  `RATE_LIMIT_PER_MINUTE` over all workers (a lease is spent within a second of its charge);
- a lease is sized by what the user spent from the previous one (doubling while a lease runs
  out early), and never more than 1/`LEASE_DIVISOR` of the limit, so low limits (the default
  60/min) stay exact per message;
- when a lease no longer fits under the limit, the worker falls back to single hits: the last
  frames before the limit are admitted one by one, exactly.
The cost: leased frames that go unspent (a user who stops, or whose other worker takes the
rest) are charged without being sent, at most one lease per worker per second.
"""

from __future__ import annotations

import logging
import time

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from app.config import Settings
from app.errors import DomainError

log = logging.getLogger("voxhub.ratelimit")

# A lease is at most this fraction of the per-minute limit...
LEASE_DIVISOR = 64
# ...and is spent within this many seconds of its charge, or dropped.
LEASE_SECONDS = 1.0


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
        # limits types its storage options as scalars; redis-py takes the pool object.
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # see above
    )


class Lease:
    """Frames a worker may still admit for one key without asking Redis."""

    __slots__ = ("size", "left", "expires")

    def __init__(self, size: int, now: float) -> None:
        self.size = size
        self.left = size - 1  # the frame that took the lease is spent at once
        self.expires = now + LEASE_SECONDS

    def next_size(self, now: float, cap: int) -> int:
        """Double a lease that ran out early; otherwise size the next by what was spent."""
        if self.left <= 0 and now < self.expires:
            return min(cap, self.size * 2)
        return max(1, min(cap, self.size - self.left))


class RateLimiter:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.item = RateLimitItemPerMinute(settings.rate_limit_per_minute)
        self.storage = _storage(settings, redis)
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        self.max_lease = max(1, settings.rate_limit_per_minute // LEASE_DIVISOR)
        self._leases: dict[str, Lease] = {}

    def allow_now(self, key: str) -> bool:
        """Admit from this worker's lease, synchronously; False means: ask `allow`."""
        lease = self._leases.get(key)
        if lease is None or lease.left <= 0 or time.monotonic() >= lease.expires:
            return False
        lease.left -= 1
        return True

    async def allow(self, key: str) -> bool:
        if self.allow_now(key):
            return True
        now = time.monotonic()
        previous = self._leases.pop(key, None)
        size = previous.next_size(now, self.max_lease) if previous else 1
        try:
            if size > 1 and await self.strategy.hit(self.item, key, cost=size):
                self._leases[key] = Lease(size, now)
                return True
            if await self.strategy.hit(self.item, key):
                self._leases[key] = Lease(1, now)  # remembers the pace for the next lease
                return True
            return False
        except Exception as exc:
            log.warning("rate limiter unavailable, allowing: %s", exc)
            return True

    async def allow_exact(self, key: str, per_minute: int) -> bool:
        """One cluster-wide check per call and no lease: for rare, security-relevant limits
        (log-in attempts, sign-ups), where a lease's slack is not wanted.

        Unlike `allow`, this fails closed: while Redis is down, password guessing would be
        unlimited, so the caller gets a 503 to retry rather than an unthrottled attempt."""
        try:
            return await self.strategy.hit(RateLimitItemPerMinute(per_minute), key)
        except Exception as exc:
            log.warning("rate limiter unavailable, refusing a guarded attempt: %s", exc)
            raise DomainError(
                503, "temporarily unavailable; retry shortly", headers={"Retry-After": "5"}
            ) from None

    def prune(self) -> None:
        """Drop expired leases so that users who left do not accumulate (heartbeat calls it)."""
        now = time.monotonic()
        for key in [key for key, lease in self._leases.items() if now >= lease.expires]:
            del self._leases[key]
