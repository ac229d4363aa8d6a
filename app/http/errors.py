"""Every HTTP error with the right status, in the envelope its route declared
(`{"error": "<message>", ...}` unless the route says otherwise, see app/http/envelopes.py).

Domains raise `DomainError` (app/errors.py); Sanic raises its own exceptions for what it
refuses before a handler runs (404 routes, 413 bodies, malformed JSON). Anything else is a bug,
logged with its traceback and answered with a bare 500 so that no internal detail leaks.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, json

from app.errors import DomainError
from app.http.envelopes import PLAIN, Envelope, envelope_of

log = logging.getLogger("voxhub.errors")

_DEFAULT_MESSAGES = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    408: "request timeout",
    409: "conflict",
    413: "request body too large",
    429: "too many requests",
    503: "service unavailable",
}


def error_response(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    envelope: Envelope = PLAIN,
    **fields: Any,
) -> HTTPResponse:
    return json(envelope.error(message, fields), status=status, headers=headers)


async def handle_exception(request: Request, exc: Exception) -> HTTPResponse:
    envelope = envelope_of(request)
    if isinstance(exc, DomainError):
        message = exc.message or _DEFAULT_MESSAGES.get(exc.status, "error")
        return error_response(exc.status, message, exc.headers, envelope, **exc.fields)
    if isinstance(exc, SanicException):
        status = exc.status_code
        if status >= 500:
            log.error("server error on %s %s: %s", request.method, request.path, exc)
        message = str(exc) if status < 500 else ""
        message = message or _DEFAULT_MESSAGES.get(status, "internal server error")
        return error_response(status, message, dict(exc.headers or {}), envelope)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal server error", envelope=envelope)


def install_error_handler(app: Sanic) -> None:
    app.error_handler.add(Exception, handle_exception)
