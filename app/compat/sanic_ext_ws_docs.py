"""/ws's definition in the OpenAPI spec.

Sanic wraps a WebSocket handler in a partial, and sanic-ext looks operations up by the route's
handler, so the definition made on the function is not found. This aliases it in sanic-ext's
private `OperationStore`; it must run before sanic-ext builds the spec (its listener has
priority -1000).
"""

from __future__ import annotations

from sanic import Sanic
from sanic_ext.extensions.openapi.builders import OperationStore

from app.compat import pin

SUPPORTED = "25.12."
pin("sanic-ext", SUPPORTED, __name__)


def document_websocket_routes(app: Sanic) -> None:
    store = OperationStore()
    for route in app.router.routes:
        handler = route.handler
        if getattr(handler, "is_websocket", False) and handler.args and handler.args[0] in store:
            store[handler] = store[handler.args[0]]
