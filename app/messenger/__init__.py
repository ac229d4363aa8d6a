"""Messenger (seed 002): chats, messages over REST and /ws, AI advice and autoreply.

API workers store messages, deliver them through the gateway and enqueue AI jobs; the AI
engine (`app/messenger/ai`) answers them, in `voxhub ai-worker` processes (workers/ai). In the
embedded default (memory:// Redis) nothing outside `voxhub serve` can reach its Redis, so the
same engine runs inside the server process.
"""

from __future__ import annotations

from sanic import Sanic

from app.db.charges import TokenCharges
from app.messenger.ai.worker import AiWorker
from app.messenger.routes import bp
from app.messenger.service import Messenger
from app.messenger.sockets import ChatSockets
from app.services import Services

__all__ = ["Messenger", "register"]


def register(app: Sanic, services: Services) -> None:
    messenger = services.add(
        Messenger(
            services.db,
            services.redis,
            services.settings,
            services.gateway.send_to_users,
            services.get(TokenCharges),  # accounts' ledger, registered before us
        )
    )
    app.blueprint(bp)
    services.router.add("chat.send", ChatSockets(messenger).chat_send)
    settings = services.settings
    if settings.embedded and settings.openai_api_key:
        _run_ai_engine(app, messenger)


def _run_ai_engine(app: Sanic, messenger: Messenger) -> None:
    """Answer AI jobs in this process, from start-up (once the database and Redis are open)
    until the server stops."""
    running: list[AiWorker] = []

    async def start(_: Sanic) -> None:
        engine = AiWorker.for_messenger(messenger)
        running.append(engine)
        await engine.start()

    async def stop(_: Sanic) -> None:
        while running:
            await running.pop().stop()

    # After the factory's own listener (priority 100) has opened the pool and Redis.
    app.register_listener(start, "before_server_start")
    app.register_listener(stop, "before_server_stop")
