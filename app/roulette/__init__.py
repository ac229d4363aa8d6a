"""Live roulette (seed 003): sessions in SQL, REST routes, and live updates over /ws."""

from sanic import Sanic

from app.roulette import ws_handlers
from app.roulette.appender import Appender
from app.roulette.live import Watchers
from app.roulette.routes import bp


def register(app: Sanic) -> None:
    app.ctx.roulette_watchers = Watchers(app)
    app.ctx.roulette_appender = Appender(app)
    router = app.ctx.ws_router
    router.add("saveNumber", ws_handlers.save_number)
    router.add("subscribe", ws_handlers.subscribe)
    router.add("unsubscribe", ws_handlers.unsubscribe)
    app.blueprint(bp)
    app.register_listener(_drain, "before_server_stop")


async def _drain(app: Sanic) -> None:
    """Saves already queued are committed before the database pool closes."""
    await app.ctx.roulette_appender.drain()
