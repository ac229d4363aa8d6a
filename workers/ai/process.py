"""`voxhub ai-worker`: the messenger's AI engine in its own process, with its own pool, Redis
and metrics (the metrics endpoint is opened by `app.observability.standalone` before this runs).

It has no Sanic app and no sockets: results reach users through `app.ws.delivery`, which
publishes on the per-user channels the API worker holding their sockets reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from functools import partial

from app.accounts.charges import LedgerCharges
from app.accounts.realtime import create_client
from app.bus import Hub, create_redis
from app.config import Settings
from app.db import connect_database
from app.messenger.ai.worker import AiWorker
from app.messenger.service import Messenger
from app.observability.metrics import mark_process_dead
from app.services import new_worker_id
from app.ws.delivery import send_to_users
from workers.realtime.process import start_engine

log = logging.getLogger("voxhub.ai")


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
    # AI work is charged through accounts' ledger, as in the API workers (`app/db/charges.py`).
    messenger = Messenger(
        db, redis, settings, partial(send_to_users, Hub(redis)), LedgerCharges(db)
    )
    engine = AiWorker.for_messenger(messenger, consumer=consumer, concurrency=concurrency)
    await engine.start()
    # Metered Realtime calls' sidebands, held here too (see workers/realtime).
    realtime_client = create_client(settings)
    assert realtime_client is not None  # the key was checked above
    sidebands = await start_engine(settings, db, redis, realtime_client, new_worker_id())
    try:
        await stopping.wait()
    finally:
        log.info("AI worker %s stopping", consumer)
        await sidebands.stop()
        await realtime_client.close()
        await engine.stop()
        await redis.aclose()
        await db.disconnect()
        mark_process_dead(os.getpid())


def run(settings: Settings, consumer: str, concurrency: int) -> None:
    """`voxhub ai-worker` once the process is prepared (app.observability.standalone)."""
    asyncio.run(serve(settings, consumer, concurrency))
