"""Live roulette (seed 003): sessions in SQL, REST routes, and live updates over /ws."""

from sanic import Sanic

from app.roulette import ws_handlers
from app.roulette.live import Watchers
from app.roulette.routes import bp


def register(app: Sanic) -> None:
    app.ctx.roulette_watchers = Watchers(app)
    router = app.ctx.ws_router
    router.add("saveNumber", ws_handlers.save_number)
    router.add("subscribe", ws_handlers.subscribe)
    router.add("unsubscribe", ws_handlers.unsubscribe)
    app.blueprint(bp)
