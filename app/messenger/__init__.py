"""Messenger (seed 002): chats, messages over REST and /ws, AI advice and autoreply.

API workers store messages, deliver them through the gateway and enqueue AI jobs; the AI worker
(`workers/ai`, `voxhub ai-worker`) answers them. In the embedded default (memory:// Redis) the
AI worker loop runs inside the server process, since nothing else can reach its Redis.
"""

from sanic import Sanic


def register(app: Sanic) -> None:
    from app.messenger.wiring import install

    install(app)
