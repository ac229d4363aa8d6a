"""`/api/realtime/calls`: server-metered OpenAI Realtime voice calls (seed 000's envelope).

The browser posts its SDP offer here instead of to OpenAI; Voxhub creates the call with the
server's key, on a hold from the balance, and meters it through the sideband (see
`app/accounts/calls`). A new client should use this path; `GET /api/token` stays for the
mini-app that reports its own usage.
"""

from __future__ import annotations

from databases.interfaces import Record
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, text

from app.accounts.calls import ledger as call_ledger
from app.accounts.calls.schemas import CallStart, CallStarted, CallState
from app.accounts.calls.service import RealtimeCalls
from app.accounts.realtime import session_instructions
from app.accounts.routes.common import accounts, existing_user
from app.accounts.schemas import InsufficientTokensFailure
from app.accounts.voices import voice_of
from app.auth.guards import current_identity, requires
from app.db.sql import MAX_ID
from app.errors import DomainError, not_found, too_many
from app.http.bodies import document, parse
from app.http.envelopes import (
    INVALID_REQUEST,
    SUCCESS_DATA,
    Failure,
    Success,
    enveloped_body,
    respond_data,
)
from app.services import services_of

bp = Blueprint("accounts_realtime_calls")

SDP_TYPES = ("application/sdp", "text/plain")


def realtime_calls(request: Request) -> RealtimeCalls:
    return services_of(request.app).get(RealtimeCalls)


def _start_body(request: Request) -> CallStart:
    """JSON, or the bare offer as `application/sdp`; the offer must be an audio offer."""
    content_type = (request.content_type or "").split(";", 1)[0].strip().lower()
    if content_type in SDP_TYPES:
        try:
            raw = request.body.decode()
        except UnicodeDecodeError:
            raise DomainError(400, INVALID_REQUEST + "the SDP offer is not UTF-8") from None
        try:
            body = parse(CallStart, {"sdp": raw})
        except DomainError as exc:
            raise DomainError(400, INVALID_REQUEST + exc.message) from None
    else:
        body = enveloped_body(request, CallStart)
    if not body.sdp.startswith("v=0") or "m=audio" not in body.sdp:
        raise DomainError(400, "Invalid SDP offer: an audio offer starting with v=0 is expected")
    return body


@bp.post("/api/realtime/calls", ctx_envelope=SUCCESS_DATA)
@document(
    "Start a server-metered OpenAI Realtime call: body `application/sdp` (the offer) or JSON; "
    "201 with the SDP answer (as text, or `{call_id, sdp}` for JSON), `X-Call-Id` and "
    "`Location`. Takes REALTIME_HOLD_TOKENS from the balance (402 when it cannot)",
    body=CallStart,
    responses={
        201: Success[CallStarted],
        402: InsufficientTokensFailure,
        **{status: Failure for status in (400, 401, 403, 404, 429, 502, 503)},
    },
    tag="accounts",
)
@requires()
async def start_call(request: Request) -> HTTPResponse:
    identity = current_identity(request)
    if identity.user_id is None:
        raise DomainError(403, "only a user may start a call")
    user_id = identity.user_id
    service = accounts(request)
    calls = realtime_calls(request)
    calls.openai()  # 503 before anything is held when OpenAI is not configured
    per_minute = service.settings.realtime_calls_per_minute
    if not await service.limiter.allow_exact(f"realtime-calls:{user_id}", per_minute):
        raise too_many("too many calls; retry in a minute", 60)
    body = _start_body(request)
    user = await existing_user(request, user_id)
    voice = body.voice or voice_of(user["selected_voice"])
    prompt_id = body.prompt_id or user["selected_prompt_id"]
    instructions = await session_instructions(
        service.db, user_id, prompt_id, voice, named=body.prompt_id is not None
    )
    model = body.model or user["selected_model"]
    call_id, answer = await calls.start(user_id, body.sdp, model, voice, instructions)
    headers = {"X-Call-Id": str(call_id), "Location": f"/api/realtime/calls/{call_id}"}
    if (request.content_type or "").startswith("application/json"):
        return respond_data(
            CallStarted, {"call_id": call_id, "sdp": answer}, status=201, headers=headers
        )
    return text(answer, status=201, headers=headers, content_type="application/sdp")


async def _owned_call(request: Request, call_id: int) -> Record:
    """The call, if the caller may see it (its owner, a service or an admin); 404 otherwise,
    so another user's call ids reveal nothing."""
    if not 0 < call_id <= MAX_ID:
        raise not_found("call not found")
    row = await call_ledger.find(accounts(request).db, call_id)
    if row is None or not current_identity(request).may_act_for(row["user_id"]):
        raise not_found("call not found")
    return row


@bp.get("/api/realtime/calls/<call_id:int>", ctx_envelope=SUCCESS_DATA)
@document(
    "A metered call: state, start and end, usage so far by token type, charged, still held",
    responses={200: Success[CallState], 401: Failure, 404: Failure},
    tag="accounts",
)
@requires()
async def get_call(request: Request, call_id: int) -> HTTPResponse:
    row = await _owned_call(request, call_id)
    return respond_data(CallState, call_ledger.serialize(row))


@bp.delete("/api/realtime/calls/<call_id:int>", ctx_envelope=SUCCESS_DATA)
@document(
    "Hang a metered call up (reason `hangup`); what it still holds returns to the balance",
    responses={200: Success[CallState], 401: Failure, 404: Failure},
    tag="accounts",
)
@requires()
async def hang_up_call(request: Request, call_id: int) -> HTTPResponse:
    await _owned_call(request, call_id)
    await realtime_calls(request).end(call_id, "hangup")
    row = await call_ledger.find(accounts(request).db, call_id)
    assert row is not None  # calls are never deleted while their user exists
    return respond_data(CallState, call_ledger.serialize(row))
