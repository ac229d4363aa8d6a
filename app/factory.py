"""The app factory: one Sanic app and one `Services` per worker process, built from `Settings`.

Sanic's worker manager spawns each worker and calls the factory there, so nothing here may
depend on state from the parent process except the environment. A domain plugs in through
its package's `register(app, services)` (the `Domain` contract below): it builds its service,
adds it to `services`, and registers its routes, socket message types and listeners. The list
below is the whole map of the service.
"""

from __future__ import annotations

import gc
import importlib
from typing import Protocol, cast

from sanic import Sanic
from sanic_ext import Extend
from sanic_ext.extensions.http.extension import HTTPExtension
from sanic_ext.extensions.openapi.extension import OpenAPIExtension

from app import ws
from app.auth.guards import TelegramCheck, authenticator
from app.config import Settings
from app.http.errors import install_error_handler
from app.http.proxies import install_proxy_trust
from app.observability.logs import configure_logging
from app.observability.middleware import install_observability
from app.services import Services

APP_NAME = "voxhub"

# Each entry is a package whose `register(app, services)` plugs the domain in.
DOMAINS: tuple[str, ...] = (
    "app.match",
    "app.roulette",
    "app.health",
    "app.accounts",
    "app.messenger",
    "app.media",
    "app.web",
)


class Domain(Protocol):
    """What a domain package offers the factory."""

    def register(self, app: Sanic, services: Services) -> None: ...


def create_app(settings: Settings | None = None) -> Sanic:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app = Sanic(APP_NAME)
    _configure(app, settings)
    services = Services.build(settings)
    app.ctx.services = services

    install_error_handler(app)
    install_proxy_trust(app, settings)
    install_observability(app, settings)
    telegram = (
        TelegramCheck(settings.telegram_bot_token, settings.telegram_auth_max_age)
        if settings.telegram_bot_token
        else None
    )
    app.register_middleware(
        authenticator(settings.jwt_secret, telegram, services.revocations), "request", priority=90
    )

    async def open_connections(_: Sanic) -> None:
        await services.start()

    async def close_connections(_: Sanic) -> None:
        await services.close()

    app.register_listener(open_connections, "before_server_start", priority=100)
    app.register_listener(_freeze_startup_objects, "after_server_start", priority=-100)
    app.register_listener(close_connections, "after_server_stop", priority=-100)
    ws.install(app, services.gateway, settings, services.revocations)
    for name in DOMAINS:
        cast(Domain, importlib.import_module(name)).register(app, services)
    return app


async def _freeze_startup_objects(_: Sanic) -> None:
    """Move everything start-up made (modules, routes, the app: some 160,000 objects) out of
    the collector's sight. Python's full collections scan every tracked object, and a storm of
    new sockets triggers them as the heap grows: without this each one re-scans all of that."""
    gc.collect()
    gc.freeze()


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
