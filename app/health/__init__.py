"""Operational routes: health checks serving seeds 000, 001, 003 and 004, and /metrics."""

from __future__ import annotations

from sanic import Sanic

from app.health import metrics
from app.health.routes import bp
from app.services import Services

__all__ = ["register"]


def register(app: Sanic, services: Services) -> None:
    """Add the routes; they read the database, Redis and the media domain's live call count
    from the worker's services at request time."""
    app.blueprint(bp)
    app.blueprint(metrics.bp)
