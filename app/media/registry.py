"""Live media workers as seen through Redis.

Each media worker heartbeats its current calls and capacity into one registry: a sorted set of
worker ids scored by when their last heartbeat expires, beside a hash of their last heartbeats.
Readers (`POST /webrtc` choosing to queue an offer, `/health`'s `active_conversations`) read
those two keys, whatever else Redis holds: a full-keyspace SCAN for per-worker keys cost every
call and every readiness probe a walk over all of Redis's keys. A worker that dies stops
heartbeating; the next read past its expiry drops it, so its calls leave
`active_conversations` without anyone having to clean up after it. Expiries are on Redis's
clock (TIME inside the scripts), so hosts whose clocks disagree still agree on who is alive.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

LIVE_KEY = "voxhub:media:workers:live"
"""Sorted set: worker id, scored by its heartbeat's expiry (milliseconds, Redis's clock)."""
INFO_KEY = "voxhub:media:workers:info"
"""Hash: worker id -> its last heartbeat (JSON)."""

_NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

_HEARTBEAT = (
    _NOW_MS
    + """
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
"""
)

# Drops the expired (at most the workers that died since the last read), then answers
# [id, heartbeat, id, heartbeat, ...] of the live ones.
_LIVE = (
    _NOW_MS
    + """
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(dead) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local info = redis.call('HGET', KEYS[2], id)
  if info then
    out[#out + 1] = id
    out[#out + 1] = info
  end
end
return out
"""
)


async def live_workers(redis: Redis) -> dict[str, dict]:
    flat = await redis.eval(_LIVE, 2, LIVE_KEY, INFO_KEY)
    return {_text(flat[i]): json.loads(flat[i + 1]) for i in range(0, len(flat), 2)}


def _text(value: bytes | str) -> str:
    return value if isinstance(value, str) else value.decode()


async def active_conversations(redis: Redis) -> int:
    return sum(int(info.get("calls", 0)) for info in (await live_workers(redis)).values())


def free_slots(workers: dict[str, dict]) -> int:
    """Calls the live workers could still take, by their last heartbeats."""
    return sum(
        max(0, int(info.get("capacity", 0)) - int(info.get("calls", 0)))
        for info in workers.values()
    )


async def publish_heartbeat(redis: Redis, worker_id: str, info: dict[str, Any], ttl: float) -> None:
    """(Re)write the worker's heartbeat; it counts as dead `ttl` seconds after the last one."""
    ttl_ms = max(1, int(ttl * 1000))
    await redis.eval(_HEARTBEAT, 2, LIVE_KEY, INFO_KEY, worker_id, ttl_ms, json.dumps(info))


async def remove_worker(redis: Redis, worker_id: str) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zrem(LIVE_KEY, worker_id)
        pipe.hdel(INFO_KEY, worker_id)
        await pipe.execute()
