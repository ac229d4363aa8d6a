"""WebRTC echo-and-record (seed 001): signaling, conversations, and the engine that holds calls.

The API side (`routes`, `service`, `signaling`, `storage`) hands each offer to a media worker
through Redis (`protocol`, `registry`); what a media worker does lives in `engine`, run by
`voxhub media-worker` (`workers/media/process.py`) or, with the embedded default (memory://
Redis, which nothing outside this process can reach), inside `voxhub serve` by `register`.
"""

from __future__ import annotations

from sanic import Sanic

from app.media.routes import bp
from app.media.service import MediaService
from app.services import Services

__all__ = ["MediaService", "register"]


def register(app: Sanic, services: Services) -> None:
    """Add the routes, and the `MediaService` the routes and `/health` reach through
    `services.get(MediaService)`; in embedded mode it runs the engine between start and stop."""
    media = services.add(MediaService(services.settings, services.db, services.redis, services.hub))

    async def start_media(_: Sanic) -> None:
        await media.start()

    async def stop_media(_: Sanic) -> None:
        await media.stop()

    app.blueprint(bp)
    app.register_listener(start_media, "before_server_start")
    app.register_listener(stop_media, "before_server_stop")
