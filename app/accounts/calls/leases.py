"""Who holds which call's sideband: one Redis lease per call, and one sorted set of live calls.

The set `voxhub:realtime:calls` scores each live call with the last time its holder renewed it.
A new call is announced already stale, so the next sideband worker to look claims it; a holder
renews every lease it keeps (and the score) each poll. A call whose holder died has an expired
lease and a stale score: another worker claims it (`SET NX`) at its next poll. A call nobody
has renewed for REALTIME_REATTACH_TIMEOUT is an orphan: whoever claims it hangs it up.
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

CALLS_KEY = "voxhub:realtime:calls"
LEASE_PREFIX = "voxhub:realtime:lease:"

# Renew every lease a worker holds in one round trip. A lease that lapsed without anyone
# taking it (a slow loop, a Redis hiccup) is taken back; one another worker holds is lost.
_RENEW = """
local lost = {}
for i, key in ipairs(KEYS) do
  local owner = redis.call('GET', key)
  if owner == ARGV[1] or not owner then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    redis.call('ZADD', ARGV[4], 'XX', ARGV[3], ARGV[4 + i])
  else
    table.insert(lost, ARGV[4 + i])
  end
end
return lost
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if ARGV[2] ~= '' then redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[3]) end
  return 1
end
return 0
"""


def _ids(members: list[Any]) -> list[int]:
    """Call ids from a ZRANGE reply (the client decodes responses: members are text)."""
    return [int(member) for member in members]


def lease_key(call_id: int) -> str:
    return f"{LEASE_PREFIX}{call_id}"


class CallLeases:
    def __init__(self, redis: Redis, worker_id: str, ttl: float) -> None:
        self.redis = redis
        self.worker_id = worker_id
        self.ttl = ttl
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def _stale_score(self) -> float:
        """A score any worker reads as free to claim (but not yet as an orphan)."""
        return time.time() - self.ttl - 0.001

    async def announce(self, call_id: int) -> None:
        await self.redis.zadd(CALLS_KEY, {str(call_id): self._stale_score()})

    async def forget(self, call_id: int) -> None:
        await self.redis.zrem(CALLS_KEY, str(call_id))

    async def claimable(self, limit: int) -> list[int]:
        """Calls nobody has renewed within a lease's lifetime, oldest first."""
        members = await self.redis.zrangebyscore(
            CALLS_KEY, "-inf", time.time() - self.ttl, start=0, num=limit
        )
        return _ids(members)

    async def orphans(self, silent_for: float, limit: int) -> list[int]:
        members = await self.redis.zrangebyscore(
            CALLS_KEY, "-inf", time.time() - silent_for, start=0, num=limit
        )
        return _ids(members)

    async def acquire(self, call_id: int) -> bool:
        taken = await self.redis.set(
            lease_key(call_id), self.worker_id, nx=True, px=int(self.ttl * 1000)
        )
        if taken:
            await self.redis.zadd(CALLS_KEY, {str(call_id): time.time()}, xx=True)
        return bool(taken)

    async def renew(self, call_ids: list[int]) -> list[int]:
        """Renew every lease in `call_ids`; the ones another worker holds now."""
        if not call_ids:
            return []
        lost = await self._renew(
            keys=[lease_key(call_id) for call_id in call_ids],
            args=[
                self.worker_id,
                int(self.ttl * 1000),
                time.time(),
                CALLS_KEY,
                *(str(call_id) for call_id in call_ids),
            ],
        )
        return _ids(lost)

    async def release(self, call_id: int, *, hand_over: bool) -> None:
        """Drop the lease; `hand_over` also marks the call free for the next worker at once."""
        score = repr(self._stale_score()) if hand_over else ""
        await self._release(
            keys=[lease_key(call_id), CALLS_KEY], args=[self.worker_id, score, str(call_id)]
        )
