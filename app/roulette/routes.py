"""Seed 003's REST API under /api/roulette (docs/seed003.md §2). As in the seed, no token is
needed (its clients have none): sessions hold only public wheel numbers. Every call is
rate-limited per client address with the same cluster-wide limiter as the WebSocket messages,
and every write reaches the key's watchers in their dialects.

Bodies are decoded here rather than by Sanic, whose malformed-JSON answer is not the
contract's `Invalid request body`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.errors import bad_request, too_many
from app.http.bodies import ErrorBody, document, respond
from app.roulette import values
from app.roulette.schemas import History, ReplaceHistory, Saved, SaveNumber, Sessions
from app.roulette.service import Roulette
from app.services import services_of

bp = Blueprint("roulette", url_prefix="/api/roulette")


def _roulette(request: Request) -> Roulette:
    return services_of(request.app).get(Roulette)


@bp.on_request
async def rate_limit(request: Request) -> None:
    address = request.remote_addr or request.ip
    if not await services_of(request.app).limiter.allow(f"ip:{address}"):
        raise too_many("too many requests", retry_after=60)


def _object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise bad_request(values.INVALID_BODY)
    return body


def _path_key(raw: str) -> str:
    """Clients percent-encode the key (`Стол №7`); Sanic hands the path segment over as sent."""
    key = unquote(raw)
    if not values.is_key(key):
        raise bad_request(values.INVALID_KEY)
    return key


@bp.get("/sessions")
@document(
    "Roulette sessions with their histories, most recently updated first (the 1,000 newest)",
    responses={200: Sessions},
    public=True,
    tag="roulette",
)
async def list_sessions(request: Request) -> HTTPResponse:
    return respond(Sessions.model_construct(sessions=await _roulette(request).sessions()))


@bp.get("/<key>")
@document(
    "A key's history, oldest first; an unknown key has the empty history",
    responses={200: History, 400: ErrorBody},
    public=True,
    tag="roulette",
)
async def get_history(request: Request, key: str) -> HTTPResponse:
    history = await _roulette(request).history(_path_key(key))
    return respond(History.model_construct(history=history))


@bp.post("/save")
@document(
    'Append a number (0..36 or "00") to a session, creating it; its watchers are told. '
    "A retry with the same `client_id` is answered with the session, not stored again",
    body=SaveNumber,
    responses={200: Saved, 400: ErrorBody, 429: ErrorBody},
    public=True,
    tag="roulette",
)
async def save_number(request: Request) -> HTTPResponse:
    body = _object(request)
    key, number = values.save(body.get("key"), body.get("number"))
    client_id = values.client_id(body.get("client_id"))
    session = await _roulette(request).save(key, number, client_id)
    return respond(Saved.model_construct(success=True, data=session))


@bp.put("/<key>")
@document(
    "Replace a session's whole history, creating it; its watchers are told",
    body=ReplaceHistory,
    responses={200: Saved, 400: ErrorBody, 429: ErrorBody},
    public=True,
    tag="roulette",
)
async def replace_history(request: Request, key: str) -> HTTPResponse:
    key = _path_key(key)
    given = _object(request).get("history")
    if given is not None and not isinstance(given, list):
        raise bad_request(values.INVALID_BODY)
    session = await _roulette(request).replace(key, values.history(given))
    return respond(Saved.model_construct(success=True, data=session))
