"""Envelopes: the outer shape a route wraps its answers and its errors in.

Most Voxhub routes answer a bare body and `{"error": ...}`. Seed 000's mini-app reads
`{"success": true, "data": ...}` and `{"success": false, "error": ...}` from every call, and
seed 003's board reads `{"success": true, "data": ...}` from its saves. A route names its error
envelope once, in its route context (`@bp.get(path, ctx_envelope=SUCCESS_DATA)`), so that every
error raised on its way (the auth middleware's 401, a validation 400, a domain refusal, Sanic's
own 413) is rendered by the one error handler in the shape that route's client reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from sanic import Request
from sanic.exceptions import BadRequest
from sanic.response import HTTPResponse

from app.errors import DomainError
from app.http.bodies import Body, adapter, json_body, json_bytes

M = TypeVar("M", bound=Body)
T = TypeVar("T")

INVALID_REQUEST = "Invalid request: "


@dataclass(frozen=True, slots=True)
class Envelope:
    """How a route's errors look. Hashable: Sanic keeps route contexts in a hashable dict."""

    success_flag: bool = False

    def error(self, message: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        if self.success_flag:
            return {"success": False, "error": message, **fields}
        return {"error": message, **fields}


PLAIN = Envelope()
SUCCESS_DATA = Envelope(success_flag=True)


def envelope_of(request: Request) -> Envelope:
    """The envelope the matched route declared; plain when it declared none or nothing matched."""
    route = request.route
    envelope: Envelope = getattr(route.ctx, "envelope", PLAIN) if route is not None else PLAIN
    return envelope


class Success(Body, Generic[T]):
    """`{"success": true, "data": ..., "message"?: ...}`, as documented in OpenAPI."""

    success: Literal[True] = True
    data: T
    message: str | None = None


class Failure(Body):
    """`{"success": false, "error": ...}`: every refusal of a SUCCESS_DATA route."""

    success: Literal[False] = False
    error: str


def respond_data(
    shape: Any,
    data: Any,
    *,
    message: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTTPResponse:
    """`data` checked and serialized as `shape` (like `respond_as`), inside the success
    envelope. The data is serialized once by pydantic and spliced in, not re-encoded."""
    checked = adapter(shape)
    payload = checked.dump_json(checked.validate_python(data, strict=False))
    tail = b"" if message is None else b',"message":' + json.dumps(message).encode()
    return json_bytes(b'{"success":true,"data":' + payload + tail + b"}", status, headers)


def enveloped_body(request: Request, model: type[M]) -> M:
    """The JSON body as `model`; a body that cannot be decoded or validated is a 400 whose
    text starts with `Invalid request: `, as seed 000's Go server worded its decoding errors."""
    try:
        return json_body(request, model)
    except DomainError as exc:
        if exc.status != 400:
            raise
        raise DomainError(400, INVALID_REQUEST + exc.message, **exc.fields) from None
    except BadRequest:
        raise DomainError(400, INVALID_REQUEST + "the body is not valid JSON") from None
