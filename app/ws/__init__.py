"""The /ws gateway: connection lifecycle, dispatch by message type, cross-worker delivery.

The factory calls `install` with the worker's gateway (built in `app/services.py`); domains
add their message types to the router and use the gateway's `send_to_user(s)`, `publish`,
`join`/`leave` and hooks, never the bus or the socket bytes directly.
"""

from sanic import Sanic

from app.auth.revocation import Revocations
from app.compat.sanic_ext_ws_docs import document_websocket_routes
from app.config import Settings
from app.ws.connection import Connection
from app.ws.gateway import Gateway
from app.ws.protocol import Frame
from app.ws.registry import WsRouter
from app.ws.routes import websocket_blueprint

__all__ = ["Connection", "Frame", "Gateway", "WsRouter", "install"]


def install(app: Sanic, gateway: Gateway, settings: Settings, revocations: Revocations) -> None:
    async def start(_: Sanic) -> None:
        await gateway.start()

    async def stop(_: Sanic) -> None:
        await gateway.stop()

    # The gateway's own heartbeat sends the protocol Pings: no extra task per socket.
    app.config.WEBSOCKET_PING_INTERVAL = None
    app.blueprint(websocket_blueprint(gateway, settings, revocations))
    app.register_listener(document_websocket_routes, "before_server_start")
    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
