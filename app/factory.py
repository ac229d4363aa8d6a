"""The app factory: one Sanic app per worker process, built from `Settings`.

Sanic's worker manager spawns each worker and calls the factory there, so nothing here may
depend on state from the parent process except the environment. Domains plug in through a
`register(app)` function in their package; the list below is the whole map of the service.
"""

from __future__ import annotations

import importlib
import os
import socket
import time
import uuid

from sanic import Sanic
from sanic_ext import Extend
from sanic_ext.extensions.http.extension import HTTPExtension
from sanic_ext.extensions.openapi.extension import OpenAPIExtension

from app.auth.guards import authenticate
from app.bus import Hub, create_redis
from app.config import Settings
from app.db import connect_database
from app.errors import install_error_handler
from app.observability.logs import configure_logging
from app.observability.metrics import mark_process_dead
from app.observability.middleware import install_observability
from app.observability.routes import bp as observability_bp

APP_NAME = "voxhub"

# Each entry is a package exposing `register(app)`: its blueprint, WebSocket handlers and
# listeners. Order matters only where a domain uses another's hooks (the gateway first).
DOMAINS: tuple[str, ...] = (
    "app.ws",
    "app.match",
    "app.roulette",
    "app.health",
    "app.auth",
    "app.accounts",
    "app.messenger",
    "app.media",
)


def create_app(settings: Settings | None = None) -> Sanic:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app = Sanic(APP_NAME)
    _configure(app, settings)
    app.ctx.settings = settings
    app.ctx.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    app.ctx.started_monotonic = time.monotonic()

    install_error_handler(app)
    install_observability(app)
    app.register_middleware(authenticate, "request", priority=90)
    app.blueprint(observability_bp)
    app.register_listener(_open_connections, "before_server_start", priority=100)
    app.register_listener(_close_connections, "after_server_stop", priority=-100)
    for domain in DOMAINS:
        importlib.import_module(domain).register(app)
    return app


def _configure(app: Sanic, settings: Settings) -> None:
    app.config.update(
        {
            "REQUEST_TIMEOUT": settings.read_timeout,
            "RESPONSE_TIMEOUT": settings.write_timeout,
            "KEEP_ALIVE_TIMEOUT": settings.idle_timeout,
            "REQUEST_MAX_SIZE": settings.request_max_bytes,
            "WEBSOCKET_MAX_SIZE": settings.ws_max_message_bytes,
            "GRACEFUL_SHUTDOWN_TIMEOUT": 10.0,
            "FALLBACK_ERROR_FORMAT": "json",
            "CORS_ORIGINS": ",".join(settings.allowed_origins),
            "CORS_ALLOW_HEADERS": "*",
            "CORS_EXPOSE_HEADERS": "X-Conversation-Id,X-Request-ID,Location,Retry-After",
            # CORS headers answer browsers, which always send Origin cross-origin; on every
            # other response they were bytes Sanic sanitized and sent for nobody.
            "CORS_ALWAYS_SEND": False,
            "OAS_UI_DEFAULT": "swagger",
            "OAS_URL_PREFIX": "/docs",
            "ACCESS_LOG": False,
        }
    )
    # OpenAPI and CORS only. The default set adds dependency injection, whose signal Sanic
    # dispatches on every request (7% of a worker on a one-query route); Voxhub injects nothing.
    Extend(app, extensions=[OpenAPIExtension, HTTPExtension], built_in_extensions=False)
    app.ext.openapi.describe(
        "Voxhub",
        version="0.1.0",
        description="Voice AI API, WebRTC echo and recording, AI messenger, live roulette and "
        "random voice chat. Authenticate with `Authorization: Bearer <jwt>`.",
    )
    app.ext.openapi.add_security_scheme("bearer", "http", scheme="bearer", bearer_format="JWT")


async def _open_connections(app: Sanic) -> None:
    settings: Settings = app.ctx.settings
    app.ctx.db = await connect_database(settings)
    app.ctx.redis = create_redis(settings)
    app.ctx.hub = Hub(app.ctx.redis)
    await app.ctx.hub.start()


async def _close_connections(app: Sanic) -> None:
    await app.ctx.hub.close()
    await app.ctx.redis.aclose()
    await app.ctx.db.disconnect()
    mark_process_dead(os.getpid())
