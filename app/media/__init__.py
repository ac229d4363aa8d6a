"""WebRTC echo-and-record (seed 001): API-side signaling; the calls live in workers/media.

`register` adds the routes. With the embedded default (memory:// Redis) nothing outside this
process can reach the offer queue, so the media worker runs inside the server process; with a
shared Redis, calls are handled by `voxhub media-worker` processes.
"""

from __future__ import annotations

from sanic import Sanic

from app.media.routes import bp


async def _start_embedded_worker(app: Sanic) -> None:
    settings = app.ctx.settings
    if not settings.embedded:
        return
    from workers.media.worker import MediaWorker

    worker = MediaWorker(settings, app.ctx.redis, app.ctx.db, app.ctx.hub)
    await worker.start()
    app.ctx.embedded_media_worker = worker


async def _stop_embedded_worker(app: Sanic) -> None:
    worker = getattr(app.ctx, "embedded_media_worker", None)
    if worker is not None:
        await worker.stop()


def register(app: Sanic) -> None:
    app.blueprint(bp)
    app.register_listener(_start_embedded_worker, "before_server_start")
    app.register_listener(_stop_embedded_worker, "before_server_stop")
