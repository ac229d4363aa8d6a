"""`voxhub media-worker`: one media worker process with its own pool, Redis, hub and metrics.

It has no Sanic app: offers arrive on the Redis queue and answers go back through Redis. What
the worker does is the media domain's engine (`app.media.engine`); this module only runs it.
SIGTERM (and SIGINT) finalize every recording before the process exits; SIGKILL leaves files
that still decode up to their last page, and the calls are failed by the next heartbeat reaper.

`app.cli` imports this module after `prepare_worker_process`, so the metrics the engine
declares land in the multiprocess folder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from app.bus import Hub, create_redis
from app.config import Settings
from app.db import connect_database
from app.media.engine.worker import MediaWorker
from app.observability.metrics import mark_process_dead

log = logging.getLogger("voxhub.media")


async def serve(settings: Settings, worker_id: str | None = None) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    db = await connect_database(settings)
    redis = create_redis(settings)
    hub = Hub(redis)
    await hub.start()
    worker = MediaWorker(settings, redis, db, hub, worker_id=worker_id)
    try:
        await worker.start()
        await stopping.wait()
    finally:
        log.info("media worker %s stopping", worker.worker_id)
        await worker.stop()
        await hub.close()
        await redis.aclose()
        await db.disconnect()
        mark_process_dead(os.getpid())


def run(settings: Settings, worker_id: str | None = None) -> None:
    """`voxhub media-worker` once the process is prepared (app.observability.standalone)."""
    asyncio.run(serve(settings, worker_id))
