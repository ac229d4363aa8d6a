"""Seed 003's REST API under /api/roulette. As in the seed, no token is needed (its clients have
none): sessions hold only public wheel numbers. Every call is rate-limited per client address
with the same cluster-wide limiter as the WebSocket messages, and every write is broadcast live.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sanic_ext import openapi

from app.errors import ApiError, bad_request, not_found
from app.roulette import store
from app.roulette.appender import QueueFull
from app.roulette.live import publish_update
from app.roulette.validation import InvalidInput, valid_key, valid_number, valid_numbers

bp = Blueprint("roulette", url_prefix="/api/roulette")

SESSION_SCHEMA = {"key": str, "numbers": [int], "created_at": str, "updated_at": str}
ERROR_SCHEMA = {"application/json": {"error": str}}


@bp.on_request
async def rate_limit(request: Request) -> None:
    address = request.remote_addr or request.ip
    if not await request.app.ctx.rate_limiter.allow(f"ip:{address}"):
        raise ApiError(429, "too many requests", headers={"Retry-After": "60"})


def _body(request: Request) -> dict[str, Any]:
    body = request.json
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


def _validated(check, value: Any) -> Any:
    try:
        return check(value)
    except InvalidInput as exc:
        raise bad_request(str(exc)) from None


@bp.get("/sessions")
@openapi.definition(
    summary="Roulette sessions, most recently updated first",
    response=openapi.definitions.Response(
        {"application/json": [{"key": str, "count": int, "last_number": int, "updated_at": str}]},
        status=200,
    ),
)
async def list_sessions(request: Request) -> HTTPResponse:
    return json(await store.list_sessions(request.app.ctx.db))


@bp.get("/<key>")
@openapi.definition(
    summary="One roulette session with its numbers, oldest first",
    response=[
        openapi.definitions.Response({"application/json": SESSION_SCHEMA}, status=200),
        openapi.definitions.Response(ERROR_SCHEMA, status=404),
    ],
)
async def get_session(request: Request, key: str) -> HTTPResponse:
    session = await store.get(request.app.ctx.db, _validated(valid_key, key))
    if session is None:
        raise not_found("no roulette session with that key")
    return json(session.as_json())


@bp.post("/save")
@openapi.definition(
    summary="Append a number (0..36) to a session, creating it; watchers get rouletteUpdate",
    body={"application/json": {"key": str, "number": int}},
    response=[
        openapi.definitions.Response({"application/json": SESSION_SCHEMA}, status=201),
        openapi.definitions.Response(ERROR_SCHEMA, status=400),
    ],
)
async def save_number(request: Request) -> HTTPResponse:
    body = _body(request)
    key = _validated(valid_key, body.get("key"))
    number = _validated(valid_number, body.get("number"))
    try:
        session = await request.app.ctx.roulette_appender.append(key, number)
    except QueueFull:
        raise ApiError(
            429, "too many saves are waiting on this key", headers={"Retry-After": "1"}
        ) from None
    return json(session.as_json(), status=201)


@bp.put("/<key>")
@openapi.definition(
    summary="Replace a session's numbers (creates the session); watchers get rouletteUpdate",
    body={"application/json": {"numbers": [int]}},
    response=[
        openapi.definitions.Response({"application/json": SESSION_SCHEMA}, status=200),
        openapi.definitions.Response(ERROR_SCHEMA, status=400),
    ],
)
async def replace_numbers(request: Request, key: str) -> HTTPResponse:
    key = _validated(valid_key, key)
    numbers = _validated(valid_numbers, _body(request).get("numbers"))
    session = await store.replace(request.app.ctx.db, key, numbers)
    await publish_update(request.app, session, numbers[-1] if numbers else None)
    return json(session.as_json())
