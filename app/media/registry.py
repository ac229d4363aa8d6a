"""Live media workers as seen through Redis.

Each media worker keeps `voxhub:media:worker:<id>` alive with a TTL heartbeat holding its
current calls and capacity. A worker that dies stops refreshing its key, so its calls drop out
of `active_conversations` once the TTL passes, without anyone having to clean up after it.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

WORKER_KEY_PREFIX = "voxhub:media:worker:"


def worker_key(worker_id: str) -> str:
    return WORKER_KEY_PREFIX + worker_id


async def live_workers(redis: Redis) -> dict[str, dict]:
    workers: dict[str, dict] = {}
    async for key in redis.scan_iter(match=WORKER_KEY_PREFIX + "*", count=200):
        raw = await redis.get(key)
        if raw:
            workers[key.removeprefix(WORKER_KEY_PREFIX)] = json.loads(raw)
    return workers


async def active_conversations(redis: Redis) -> int:
    return sum(int(info.get("calls", 0)) for info in (await live_workers(redis)).values())


def free_slots(workers: dict[str, dict]) -> int:
    """Calls the live workers could still take, by their last heartbeats."""
    return sum(
        max(0, int(info.get("capacity", 0)) - int(info.get("calls", 0)))
        for info in workers.values()
    )


async def publish_heartbeat(redis: Redis, worker_id: str, info: dict[str, Any], ttl: float) -> None:
    """(Re)write the worker's key; it vanishes `ttl` seconds after the last heartbeat."""
    await redis.set(worker_key(worker_id), json.dumps(info), px=max(1, int(ttl * 1000)))


async def remove_worker(redis: Redis, worker_id: str) -> None:
    await redis.delete(worker_key(worker_id))
