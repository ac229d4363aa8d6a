"""One schema per body: a pydantic model validates it, documents it and serializes it.

A request body (or a socket frame's payload) is checked with `parse`, which turns pydantic's
first complaint into a 400 `DomainError` naming the field, in the words a client can act on.
`document` hands the same models to the OpenAPI description and `respond` serializes a
response model, so what the docs say and what the route does cannot drift apart.

Models are strict (`"10"` is not an integer, `true` is not 1) and ignore unknown fields, as
the seeds' Go servers did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails
from sanic import Request
from sanic.response import HTTPResponse
from sanic_ext import openapi
from sanic_ext.extensions.openapi.definitions import Parameter, Response
from sanic_ext.extensions.openapi.types import Schema

from app.db.storable import storable_text_problem
from app.errors import bad_request

M = TypeVar("M", bound=BaseModel)
Handler = Callable[..., Any]


class Body(BaseModel):
    """Base of every request and response body."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class ErrorBody(Body):
    """What every refused request gets back (some routes add fields, such as a 402's balance)."""

    error: str


def _describe(error: ErrorDetails) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "body"
    if error["type"] == "value_error":
        # A validator's own words (`ValueError("...")`), without pydantic's prefix.
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if error["type"] == "missing":
        return f"{field} is required"
    return f"{field}: {error['msg'][:1].lower()}{error['msg'][1:]}"


def parse(model: type[M], raw: Any, *, what: str = "the body") -> M:
    """`raw` (decoded JSON) as `model`, or a 400 that says what is wrong with it."""
    if not isinstance(raw, dict):
        raise bad_request(f"{what} must be a JSON object")
    problem = storable_text_problem(raw)
    if problem is not None:
        raise bad_request(problem)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise bad_request(_describe(exc.errors(include_url=False)[0])) from None


def json_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as `model`; Sanic already answers 400 to malformed JSON."""
    return parse(model, request.json)


def respond(
    body: BaseModel | list[BaseModel],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTTPResponse:
    """A model (or a list of them) as the JSON response, serialized by pydantic in one go."""
    if isinstance(body, list):
        data = b"[" + b",".join(item.__pydantic_serializer__.to_json(item) for item in body) + b"]"
    else:
        data = body.__pydantic_serializer__.to_json(body)
    return json_bytes(data, status, headers)


def respond_as(
    shape: Any, data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> HTTPResponse:
    """`data` (a dict or a list from storage) answered as `shape` (a model or `list[Model]`):
    checked against the model (leniently: a Decimal may be a float) and serialized by it, so
    a response can hold nothing its documented model does not."""
    checked = adapter(shape)
    return json_bytes(
        checked.dump_json(checked.validate_python(data, strict=False)), status, headers
    )


@lru_cache(maxsize=256)
def adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def json_bytes(data: bytes, status: int, headers: Mapping[str, str] | None) -> HTTPResponse:
    return HTTPResponse(
        data,
        status=status,
        headers=dict(headers) if headers else None,
        content_type="application/json",
    )


class JsonSchema(Schema):
    """A schema pydantic wrote, served as is: sanic-ext's own reading of a model class lists
    its class variables (`model_config`) as if they were fields."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._fields = schema

    def serialize(self) -> dict[str, Any]:
        return self._fields


def openapi_schema(shape: Any) -> Any:
    """A model (or `list[Model]`) as an OpenAPI 3.0 schema with its definitions inlined;
    anything else (a text type, a plain shape) is left to sanic-ext."""
    item = get_args(shape)[0] if get_origin(shape) is list else shape
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return shape
    schema = TypeAdapter(shape).json_schema()
    definitions = schema.pop("$defs", {})
    return JsonSchema(_openapi30(schema, definitions))


def _openapi30(node: Any, definitions: dict[str, Any]) -> Any:
    """Inline `$ref`s and say `nullable` where JSON Schema says `anyOf [..., null]`."""
    if isinstance(node, list):
        return [_openapi30(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _openapi30(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    options = node.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        merged = {key: value for key, value in node.items() if key != "anyOf"}
        if len(rest) == 1:
            merged.update(rest[0])
        else:
            merged["anyOf"] = rest
        merged["nullable"] = True
        node = merged
    return {key: _openapi30(value, definitions) for key, value in node.items()}


def document(
    summary: str,
    *,
    responses: Mapping[int, Any],
    body: Any = None,
    query: Iterable[tuple[str, type]] = (),
    public: bool = False,
    tag: str | None = None,
    description: str | None = None,
) -> Callable[[Handler], Handler]:
    """The OpenAPI description of a route, the one way every route is described.

    A body or response is a model (JSON), `list[Model]`, a `{content type: shape}` mapping for
    other or several content types (`{"application/sdp": str, "application/json": Offer}`), or
    a bare string for a response without a body (a 101). Every route is secured unless public.
    """
    return openapi.definition(
        summary=summary,
        description=description,
        tag=tag,
        body=_content(body) if body is not None else None,
        parameter=[Parameter(name, schema, "query") for name, schema in query] or None,
        response=[
            # A bare string is a response without a body: its description, and no content.
            Response({}, status=status, description=shape)
            if isinstance(shape, str)
            else Response(_content(shape), status=status)
            for status, shape in responses.items()
        ],
        secured=None if public else {"bearer": []},
    )


def _content(shape: Any) -> dict[str, Any]:
    if isinstance(shape, Mapping) and all(isinstance(key, str) and "/" in key for key in shape):
        return {kind: openapi_schema(value) for kind, value in shape.items()}
    return {"application/json": openapi_schema(shape)}
