"""Parsing client input into typed values, with a 400 naming the field on anything else."""

from __future__ import annotations

from typing import Any

from sanic import Request

from app.errors import bad_request

# Far below BIGINT's limit, so a sum of many amounts cannot overflow the balance column.
MAX_AMOUNT = 10**12


def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; Sanic already answers 400 to malformed JSON."""
    body = request.json
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    return body


def positive_int(value: Any, field: str, maximum: int = MAX_AMOUNT) -> int:
    """Only real JSON integers: `"10"`, `10.5` and `true` are refused, not coerced."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{field} must be a positive integer")
    if not 0 < value <= maximum:
        raise bad_request(f"{field} must be between 1 and {maximum}")
    return value


def query_int(request: Request, name: str, default: int, maximum: int) -> int:
    """A positive integer query parameter; values above `maximum` are capped, as lists are."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise bad_request(f"{name} must be a positive integer")
    return min(int(raw), maximum)


def text(body: dict[str, Any], field: str, max_length: int, *, required: bool = True) -> str | None:
    value = body.get(field)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{field} is required and must be a non-empty string")
    if len(value) > max_length:
        raise bad_request(f"{field} must be at most {max_length} characters")
    return value


def choice(body: dict[str, Any], field: str, allowed: tuple[str, ...]) -> str:
    value = body.get(field)
    if value not in allowed:
        raise bad_request(f"{field} must be one of {', '.join(allowed)}")
    return value
