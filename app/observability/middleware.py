"""Request ids and HTTP metrics, attached to every route by the app factory."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from collections.abc import Callable, Coroutine
from functools import lru_cache
from typing import Any

from prometheus_client import Counter, Histogram
from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse

from app.config import Settings
from app.observability.logs import request_id_var
from app.observability.metrics import http_latency, http_requests

access_log = logging.getLogger("voxhub.access")

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# A request id only has to be unique, not secret: a random per-process prefix (Sanic spawns its
# workers, so each draws its own) and a counter cost a fraction of a uuid4's urandom call.
_ID_PREFIX = f"{secrets.token_hex(6)}-"
_id_sequence = itertools.count(1)


def _new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_id_sequence):x}"


@lru_cache(maxsize=4096)
def _series(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    """The request counter and latency histogram children for one label set, looked up once:
    `labels()` validates and locks on every call. Routes are patterns, so the set is small."""
    return http_requests.labels(method, route, str(status)), http_latency.labels(method, route)


async def start_request(request: Request) -> None:
    incoming = request.headers.get("x-request-id", "")
    request.ctx.request_id = incoming if _SAFE_ID.fullmatch(incoming) else _new_request_id()
    request.ctx.started = time.perf_counter()
    request_id_var.set(request.ctx.request_id)


Finisher = Callable[[Request, BaseHTTPResponse], Coroutine[Any, Any, None]]


def _finisher(access_log_on: bool) -> Finisher:
    """The response middleware; whether to write an access log is settled once, here."""

    async def finish_request(request: Request, response: BaseHTTPResponse) -> None:
        response.headers["X-Request-ID"] = getattr(request.ctx, "request_id", "-")
        started = getattr(request.ctx, "started", None)
        if started is None:
            return
        # Label by route pattern, never by raw path: ids in paths would explode the series.
        route = request.route.path if request.route else "unmatched"
        route = "/" + route.lstrip("/")
        elapsed = time.perf_counter() - started
        requests, latency = _series(request.method, route, response.status)
        requests.inc()
        latency.observe(elapsed)
        if access_log_on:
            access_log.info(
                "%s %s %s %.1fms", request.method, request.path, response.status, elapsed * 1000
            )

    return finish_request


def install_observability(app: Sanic, settings: Settings) -> None:
    app.register_middleware(start_request, "request", priority=100)
    app.register_middleware(_finisher(settings.access_log), "response", priority=100)
