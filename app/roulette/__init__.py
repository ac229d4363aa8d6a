"""Live roulette (seed 003): sessions in SQL, REST routes, and live updates over /ws in the
four dialects of its clients (docs/seed003.md)."""

from sanic import Sanic

from app.roulette.routes import bp
from app.roulette.service import Roulette
from app.services import Services

__all__ = ["Roulette", "register"]


def register(app: Sanic, services: Services) -> None:
    roulette = services.add(Roulette(services.db, services.gateway))
    roulette.install(services.router)
    app.blueprint(bp)

    async def drain(_: Sanic) -> None:
        """Changes already queued are committed before the database pool closes."""
        await roulette.appender.drain()

    app.register_listener(drain, "before_server_stop")
