"""Health checks serving seeds 000, 001, 003 and 004 from one set of routes."""

from sanic import Sanic

from app.health.routes import bp


def register(app: Sanic) -> None:
    app.blueprint(bp)
