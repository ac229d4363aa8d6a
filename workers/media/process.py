"""`voxhub media-worker`: one media worker process with its own pool, Redis, hub and metrics.

It has no Sanic app: offers arrive on the Redis queue and answers go back through Redis. SIGTERM
(and SIGINT) finalize every recording before the process exits; SIGKILL leaves files that still
decode up to their last page, and the calls are failed by the next heartbeat reaper.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from app.config import ConfigError, Settings

log = logging.getLogger("voxhub.media")


async def serve(settings: Settings, worker_id: str | None = None) -> None:
    from app.bus import Hub, create_redis
    from app.db import connect_database
    from app.observability.metrics import mark_process_dead
    from workers.media.worker import MediaWorker

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


def start_metrics_server(port: int, host: str) -> None:
    """Prometheus scrape endpoint of this process (merged over the folder when shared)."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)


def run(settings: Settings, metrics_port: int | None = None, worker_id: str | None = None) -> None:
    """The whole `voxhub media-worker` command, once settings are read."""
    if settings.embedded:
        raise ConfigError(
            "invalid REDIS_URL: media workers need a shared Redis (with memory:// the calls "
            "run inside `voxhub serve`)"
        )
    # prometheus_client reads this once at import: the folder must exist before metrics load.
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if metrics_dir:
        os.makedirs(metrics_dir, exist_ok=True)
    from app.observability.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    port = settings.metrics_port if metrics_port is None else metrics_port
    if port:
        try:
            start_metrics_server(port, settings.host)
        except OSError as exc:
            if not metrics_dir:
                raise ConfigError(
                    f"invalid METRICS_PORT: cannot listen on {port} ({exc.strerror}); "
                    "pass --metrics-port 0 or another port"
                ) from None
            # Several workers on one machine share the multiprocess folder: the process that
            # holds the port already exposes this one's samples too.
            log.info("metrics port %d is taken; samples go to %s", port, metrics_dir)
    asyncio.run(serve(settings, worker_id))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics-port", type=int, help="default METRICS_PORT; 0: off")
    parser.add_argument("--worker-id", help="name in Redis and in conversations (default host-pid)")


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m workers.media`: the same as `voxhub media-worker`."""
    parser = argparse.ArgumentParser(prog="voxhub media-worker")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run(Settings.from_env(), args.metrics_port, args.worker_id)
    except ConfigError as exc:
        print(f"voxhub: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
