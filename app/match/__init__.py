"""Random voice chat (seed 004): matchmaking, rooms and WebRTC signaling over /ws."""

from sanic import Sanic

from app.bus import create_redis
from app.match.routes import bp
from app.match.service import RandomChat
from app.match.store import MatchStore
from app.services import Services

__all__ = ["RandomChat", "register"]


def register(app: Sanic, services: Services) -> None:
    # Departures get their own connections: leaving the queue must not wait behind a burst
    # of find_match scripts for the shared pool, or a closed socket stays matchable.
    departures = create_redis(services.settings)
    store = MatchStore(services.redis, departures, requeue=services.settings.match_on_connect)
    chat = services.add(RandomChat(store, services.gateway, services.settings, services.limiter))
    chat.install(services.router)
    app.blueprint(bp)

    async def close_departures(_: Sanic) -> None:
        await departures.aclose()

    app.register_listener(close_departures, "after_server_stop")
