"""The /ws gateway: connection lifecycle, dispatch by message type, cross-worker delivery.

`register(app)` runs first among the domains: it creates `app.ctx.ws_router` (domains add their
message types to it) and `app.ctx.gateway` (hooks: `on_user_gone`, `on_delivery`).
"""

from sanic import Sanic

from app.ws.connection import Connection
from app.ws.gateway import Gateway
from app.ws.protocol import Frame
from app.ws.registry import WsRouter
from app.ws.routes import bp, document_websocket_routes


async def _pong(conn: Connection, frame: Frame) -> None:
    """Any frame already counts as activity; a `pong` needs nothing more."""


async def _ping(conn: Connection, frame: Frame) -> None:
    conn.send({"type": "pong"})


async def _start(app: Sanic) -> None:
    await app.ctx.gateway.start()
    app.ctx.rate_limiter = app.ctx.gateway.limiter


async def _stop(app: Sanic) -> None:
    await app.ctx.gateway.stop()


def register(app: Sanic) -> None:
    router = WsRouter()
    app.ctx.ws_router = router
    app.ctx.gateway = Gateway(app, router)
    router.add("pong", _pong)
    router.add("ping", _ping)
    # The gateway's own heartbeat replaces protocol pings: no extra task per socket.
    app.config.WEBSOCKET_PING_INTERVAL = None
    app.blueprint(bp)
    app.register_listener(document_websocket_routes, "before_server_start")
    app.register_listener(_start, "after_server_start")
    app.register_listener(_stop, "before_server_stop")
