"""Request ids and HTTP metrics, attached to every route by the app factory."""

from __future__ import annotations

import logging
import re
import time
import uuid

from sanic import HTTPResponse, Request, Sanic

from app.observability.logs import request_id_var
from app.observability.metrics import http_latency, http_requests

access_log = logging.getLogger("voxhub.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


async def start_request(request: Request) -> None:
    incoming = request.headers.get("x-request-id", "")
    request.ctx.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    request.ctx.started = time.perf_counter()
    request_id_var.set(request.ctx.request_id)


async def finish_request(request: Request, response: HTTPResponse) -> None:
    response.headers["X-Request-ID"] = getattr(request.ctx, "request_id", "-")
    started = getattr(request.ctx, "started", None)
    if started is None:
        return
    # Label by route pattern, never by raw path: ids in paths would explode the series count.
    route = request.route.path if request.route else "unmatched"
    route = "/" + route.lstrip("/")
    elapsed = time.perf_counter() - started
    http_requests.labels(request.method, route, str(response.status)).inc()
    http_latency.labels(request.method, route).observe(elapsed)
    if request.app.ctx.settings.access_log:
        access_log.info(
            "%s %s %s %.1fms", request.method, request.path, response.status, elapsed * 1000
        )


def install_observability(app: Sanic) -> None:
    app.register_middleware(start_request, "request", priority=100)
    app.register_middleware(finish_request, "response", priority=100)
