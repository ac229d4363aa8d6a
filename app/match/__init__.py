"""Random voice chat (seed 004): matchmaking, rooms and WebRTC signaling over /ws."""

from functools import partial

from sanic import Sanic

from app.match import service
from app.match.routes import bp
from app.match.store import MatchStore


async def _open_store(app: Sanic) -> None:
    app.ctx.match_store = MatchStore(app.ctx.redis)


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
