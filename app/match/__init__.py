"""Random voice chat (seed 004): matchmaking, rooms and WebRTC signaling over /ws."""

from functools import partial

from sanic import Sanic

from app.bus import create_redis
from app.match import service
from app.match.routes import bp
from app.match.store import MatchStore


async def _open_store(app: Sanic) -> None:
    # Departures get their own connections: leaving the queue must not wait behind a burst
    # of find_match scripts for the shared pool, or a closed socket stays matchable.
    app.ctx.match_store = MatchStore(app.ctx.redis, create_redis(app.ctx.settings))


async def _close_store(app: Sanic) -> None:
    await app.ctx.match_store.departures.aclose()


def register(app: Sanic) -> None:
    router = app.ctx.ws_router
    router.add("find_match", service.find_match)
    router.add("disconnect", service.disconnect)
    for kind in service.SIGNALING_TYPES:
        router.add(kind, service.relay)
    gateway = app.ctx.gateway
    gateway.on_user_gone(partial(service.user_gone, app))
    gateway.on_delivery("match_found", service.remember_partner)
    gateway.on_delivery("partner_disconnected", service.forget_ended_room)
    app.blueprint(bp)
    app.register_listener(_open_store, "before_server_start")
    app.register_listener(_close_store, "after_server_stop")
