"""One decorator for the OpenAPI description of every accounts and auth route.

Routes differ only in summary, body, query and responses; the security scheme, the tag and
the JSON content type are the same everywhere, so they are written once here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sanic_ext import openapi
from sanic_ext.extensions.openapi.definitions import Parameter, Response

ERROR = {"error": str}


def documented(
    summary: str,
    *,
    responses: dict[int, Any],
    body: dict[str, Any] | None = None,
    query: Iterable[tuple[str, type]] = (),
    public: bool = False,
    tag: str = "accounts",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return openapi.definition(
        summary=summary,
        tag=tag,
        body={"application/json": body} if body else None,
        parameter=[Parameter(name, schema, "query") for name, schema in query] or None,
        response=[
            Response({"application/json": shape}, status=status)
            for status, shape in responses.items()
        ],
        secured=None if public else {"bearer": []},
    )
