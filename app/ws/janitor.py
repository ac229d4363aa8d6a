"""Clean up after workers that died without saying goodbye (SIGKILL, OOM, a lost node).

Every worker runs `sweep` each CLEANUP_INTERVAL, but only the one that wins the Redis lock
(SET NX PX, expiring after one interval) does the work, so a dead worker's users are handled
exactly once per pass and a crashed janitor only delays the next pass by one interval.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from app.ws.presence import (
    JANITOR_LOCK_KEY,
    WORKERS_KEY,
    alive_key,
    forget_worker,
    mark_offline,
    presence_key,
    texts,
    users_key,
)

log = logging.getLogger("voxhub.ws.janitor")

UserGone = Callable[[str, str], Awaitable[None]]

REASON_WORKER_LOST = "worker_lost"


async def sweep(redis: Redis, worker_id: str, lock_ms: int, user_gone: UserGone) -> int:
    """Returns how many users of dead workers were handed to the `user_gone` hooks."""
    if not await redis.set(JANITOR_LOCK_KEY, worker_id, nx=True, px=lock_ms):
        return 0
    cleaned = 0
    for worker in texts(await redis.smembers(WORKERS_KEY)):
        if worker == worker_id or await redis.exists(alive_key(worker)):
            continue
        for user_id in texts(await redis.smembers(users_key(worker))):
            owner = await redis.get(presence_key(user_id))
            if owner not in (None, worker):
                continue  # the user is also connected to a live worker: still online
            await mark_offline(redis, worker, user_id)
            await user_gone(user_id, REASON_WORKER_LOST)
            cleaned += 1
        await forget_worker(redis, worker)
        log.warning("worker %s is gone: cleaned up %d users", worker, cleaned)
    return cleaned
