"""Live media workers as seen through Redis.

Each media worker keeps `voxhub:media:worker:<id>` alive with a TTL heartbeat holding its
current calls and capacity. A worker that dies stops refreshing its key, so its calls drop out
of `active_conversations` once the TTL passes, without anyone having to clean up after it.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

WORKER_KEY_PREFIX = "voxhub:media:worker:"


async def live_workers(redis: Redis) -> dict[str, dict]:
    workers: dict[str, dict] = {}
    async for key in redis.scan_iter(match=WORKER_KEY_PREFIX + "*", count=200):
        raw = await redis.get(key)
        if raw:
            workers[key.removeprefix(WORKER_KEY_PREFIX)] = json.loads(raw)
    return workers


async def active_conversations(redis: Redis) -> int:
    return sum(int(info.get("calls", 0)) for info in (await live_workers(redis)).values())
