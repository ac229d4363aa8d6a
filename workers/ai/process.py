"""`voxhub ai-worker`: the AI worker as its own process, with its own pool, Redis and metrics.

It has no Sanic app: results reach users by publishing on the gateway's per-user channels
(`app.ws.delivery`'s channel names and framing), which the worker holding their sockets reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Sequence

from app.bus import Hub, create_redis
from app.config import Settings
from app.db import connect_database
from app.messenger.ai.worker import AiWorker
from app.messenger.service import Deliver, Frame, Messenger
from app.observability.metrics import mark_process_dead
from app.ws.delivery import pack, user_channel

log = logging.getLogger("voxhub.ai")


def publisher(hub: Hub) -> Deliver:
    async def deliver(user_ids: Sequence[str], frame: Frame) -> None:
        payload = pack(frame)
        await asyncio.gather(*(hub.publish(user_channel(uid), payload) for uid in set(user_ids)))

    return deliver


async def serve(settings: Settings, consumer: str, concurrency: int) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    if not settings.openai_api_key:
        # The API enqueues nothing without a key either: idle rather than crash-loop.
        log.warning("OPENAI_API_KEY is empty: AI is not configured, no jobs to answer")
        await stopping.wait()
        return
    db = await connect_database(settings)
    redis = create_redis(settings)
    messenger = Messenger(db, redis, settings, publisher(Hub(redis)))
    worker = AiWorker.for_messenger(messenger, settings, consumer=consumer, concurrency=concurrency)
    await worker.start()
    try:
        await stopping.wait()
    finally:
        log.info("AI worker %s stopping", consumer)
        await worker.stop()
        await redis.aclose()
        await db.disconnect()
        mark_process_dead(os.getpid())


def run(settings: Settings, consumer: str, concurrency: int) -> None:
    """`voxhub ai-worker` once the process is prepared (app.observability.standalone)."""
    asyncio.run(serve(settings, consumer, concurrency))
