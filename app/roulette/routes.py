"""Seed 003's REST API under /api/roulette. As in the seed, no token is needed (its clients have
none): sessions hold only public wheel numbers. Every call is rate-limited per client address
with the same cluster-wide limiter as the WebSocket messages, and every write is broadcast live.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.errors import not_found, too_many
from app.http.bodies import ErrorBody, document, json_body, parse, respond
from app.roulette import store
from app.roulette.schemas import KeyRef, ReplaceNumbers, SaveNumber, Session, SessionSummary
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


def _valid_key(key: str) -> str:
    return parse(KeyRef, {"key": key}).key


@bp.get("/sessions")
@document(
    "Roulette sessions, most recently updated first",
    responses={200: list[SessionSummary]},
    public=True,
    tag="roulette",
)
async def list_sessions(request: Request) -> HTTPResponse:
    return respond(list(await store.list_sessions(_roulette(request).db)))


@bp.get("/<key>")
@document(
    "One roulette session with its numbers, oldest first",
    responses={200: Session, 404: ErrorBody},
    public=True,
    tag="roulette",
)
async def get_session(request: Request, key: str) -> HTTPResponse:
    session = await store.get(_roulette(request).db, _valid_key(key))
    if session is None:
        raise not_found("no roulette session with that key")
    return respond(session)


@bp.post("/save")
@document(
    "Append a number (0..36) to a session, creating it; watchers get rouletteUpdate",
    body=SaveNumber,
    responses={201: Session, 400: ErrorBody, 429: ErrorBody},
    public=True,
    tag="roulette",
)
async def save_number(request: Request) -> HTTPResponse:
    save = json_body(request, SaveNumber)
    session = await _roulette(request).appender.append(save.key, save.number)
    return respond(session, status=201)


@bp.put("/<key>")
@document(
    "Replace a session's numbers (creates the session); watchers get rouletteUpdate",
    body=ReplaceNumbers,
    responses={200: Session, 400: ErrorBody},
    public=True,
    tag="roulette",
)
async def replace_numbers(request: Request, key: str) -> HTTPResponse:
    key = _valid_key(key)
    numbers = json_body(request, ReplaceNumbers).numbers
    return respond(await _roulette(request).replace(key, numbers))
