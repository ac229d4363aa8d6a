"""How the messenger plugs into a Sanic worker: routes, the `chat.send` handler, the service.

Kept apart from the package's `__init__` so that the AI worker process, which shares the
storage and service modules, does not import the HTTP and WebSocket layers.
"""

from __future__ import annotations

from collections.abc import Sequence

from sanic import Sanic

from app.messenger.routes import bp
from app.messenger.service import Frame, Messenger
from app.messenger.ws_handlers import chat_send
from app.ws.delivery import send_to_users


async def _open(app: Sanic) -> None:
    async def deliver(user_ids: Sequence[str], frame: Frame) -> None:
        await send_to_users(app, user_ids, frame)

    settings = app.ctx.settings
    app.ctx.messenger = Messenger(app.ctx.db, app.ctx.redis, settings, deliver)
    if settings.embedded and settings.openai_api_key:
        # Nothing outside this process can reach memory:// Redis: answer AI jobs here.
        from app.messenger.ai.worker import AiWorker

        app.ctx.embedded_ai_worker = AiWorker.for_messenger(app.ctx.messenger, settings)
        await app.ctx.embedded_ai_worker.start()


async def _close(app: Sanic) -> None:
    worker = getattr(app.ctx, "embedded_ai_worker", None)
    if worker is not None:
        await worker.stop()


def install(app: Sanic) -> None:
    app.blueprint(bp)
    app.ctx.ws_router.add("chat.send", chat_send)
    # After the factory's own listener (priority 100) has opened the pool and Redis.
    app.register_listener(_open, "before_server_start")
    app.register_listener(_close, "before_server_stop")
