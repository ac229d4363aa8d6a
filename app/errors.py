"""The one error type of every domain: what went wrong, for HTTP and for sockets alike.

Domain code raises `DomainError` and never imports HTTP or WebSocket modules; the edges render
it: `app/http/errors.py` answers a request with `{"error": message, **fields}` and the status,
`app/ws/protocol.py` answers a socket with `{"type": "error", "payload": {"code", "message"}}`.
So a rule written once (a chat's non-members get "not found") reads the same on both paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The socket code of an error that names none: what its HTTP status means, in one word.
DEFAULT_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    402: "insufficient_tokens",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    502: "upstream_error",
    503: "unavailable",
}


class DomainError(Exception):
    """A refusal with a client-facing message.

    `status` is the HTTP status it maps to, `code` the socket error code (by default the
    status' own word), `headers` extra HTTP headers (`Retry-After`), `fields` extra members of
    the HTTP error body (a 402's `balance`).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or DEFAULT_CODES.get(status, "error")
        self.headers = dict(headers or {})
        self.fields = fields


def bad_request(message: str, *, code: str | None = None) -> DomainError:
    return DomainError(400, message, code=code)


def forbidden(message: str = "forbidden") -> DomainError:
    return DomainError(403, message)


def not_found(message: str = "not found") -> DomainError:
    return DomainError(404, message)


def too_many(message: str, retry_after: int) -> DomainError:
    return DomainError(429, message, headers={"Retry-After": str(retry_after)})
