"""`voxhub realtime-worker`: holds metered Realtime calls' sidebands, in its own process.

It has no Sanic app: calls are announced in Redis by the API workers, claimed here under a
lease, and the caller's sockets hear `realtime.usage`/`realtime.ended` through the per-user
channels. SIGTERM hands every call over (no hang-up: another worker claims it at its next
poll); after a SIGKILL the leases lapse and another worker takes the calls over within
REALTIME_REATTACH_TIMEOUT. What the worker does is `app.accounts.calls`; this only runs it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from databases import Database
from openai import AsyncOpenAI
from redis.asyncio import Redis

from app.accounts.calls import RealtimeCalls, SidebandEngine
from app.accounts.calls.leases import CallLeases
from app.accounts.calls.service import lease_ttl
from app.accounts.realtime import create_client
from app.bus import Hub, create_redis
from app.config import Settings
from app.db import connect_database
from app.observability.metrics import mark_process_dead
from app.ws.delivery import send_to_users

log = logging.getLogger("voxhub.realtime")


async def start_engine(
    settings: Settings, db: Database, redis: Redis, client: AsyncOpenAI, worker_id: str
) -> SidebandEngine:
    """The sideband engine on this process's pool and Redis: `voxhub realtime-worker` runs
    only this; `voxhub ai-worker` runs it beside the AI jobs, so a deployment with AI workers
    meters calls without a new kind of process."""
    hub = Hub(redis)

    async def publish(user_id: int, frame: dict[str, object]) -> None:
        await send_to_users(hub, [str(user_id)], frame)

    leases = CallLeases(redis, worker_id, lease_ttl(settings))
    engine = SidebandEngine(RealtimeCalls(settings, db, leases, client, publish))
    await engine.start()
    return engine


async def serve(settings: Settings, worker_id: str) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    client = create_client(settings)
    if client is None:
        log.warning("OPENAI_API_KEY is empty: no metered calls to hold")
        await stopping.wait()
        return
    db = await connect_database(settings)
    redis = create_redis(settings)
    engine = await start_engine(settings, db, redis, client, worker_id)
    log.info("realtime worker %s started", worker_id)
    try:
        await stopping.wait()
    finally:
        log.info("realtime worker %s stopping: handing its calls over", worker_id)
        await engine.stop()
        await client.close()
        await redis.aclose()
        await db.disconnect()
        mark_process_dead(os.getpid())


def run(settings: Settings, worker_id: str) -> None:
    """`voxhub realtime-worker` once the process is prepared (app.observability.standalone)."""
    asyncio.run(serve(settings, worker_id))
