"""One error shape for every route: `{"error": "<message>"}` with the right status.

Handlers raise `ApiError` (or Sanic's own exceptions); anything else is a bug, logged with its
traceback and answered with a bare 500 so that no internal detail reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, json

log = logging.getLogger("voxhub.errors")


class ApiError(SanicException):
    """An error with a client-facing message and optional extra body fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message, status_code=status, headers=headers)
        self.fields = fields


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str = "not found") -> ApiError:
    return ApiError(404, message)


def forbidden(message: str = "forbidden") -> ApiError:
    return ApiError(403, message)


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
    status: int, message: str, headers: dict[str, str] | None = None, **fields: Any
) -> HTTPResponse:
    return json({"error": message, **fields}, status=status, headers=headers)


async def handle_exception(request: Request, exc: Exception) -> HTTPResponse:
    if isinstance(exc, SanicException):
        status = exc.status_code
        if status >= 500 and not isinstance(exc, ApiError):
            log.error("server error on %s %s: %s", request.method, request.path, exc)
        message = str(exc) if (isinstance(exc, ApiError) or status < 500) else ""
        message = message or _DEFAULT_MESSAGES.get(status, "internal server error")
        fields = exc.fields if isinstance(exc, ApiError) else {}
        return error_response(status, message, dict(exc.headers or {}), **fields)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal server error")


def install_error_handler(app: Sanic) -> None:
    app.error_handler.add(Exception, handle_exception)
