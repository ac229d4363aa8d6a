"""The web client: the pages a person opens to try every service, served by Voxhub itself.

Static HTML, CSS and JavaScript modules (no build step) from `static/`: the landing page at
`/` and the pages and their modules under `/web/`. The pages speak the same wire protocols as
the seeds' shipped clients; nothing here has a server-side state of its own.
"""

from __future__ import annotations

from sanic import Sanic

from app.services import Services
from app.web.routes import bp

__all__ = ["register"]


def register(app: Sanic, services: Services) -> None:
    """Add the page routes; they read only the files shipped in `static/`."""
    app.blueprint(bp)
