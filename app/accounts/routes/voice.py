"""Seed 000's `/api/user-voice`: the Realtime voice a user's sessions speak with."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.routes.common import accounts, existing_user, query_user_id
from app.accounts.schemas import SelectedVoice, VoiceChoice
from app.accounts.voices import set_voice, voice_of
from app.auth.guards import requires, resolve_user_id
from app.http.bodies import document
from app.http.envelopes import SUCCESS_DATA, Failure, Success, enveloped_body, respond_data

bp = Blueprint("accounts_voice")

ERRORS = {status: Failure for status in (400, 401, 403, 404)}


@bp.get("/api/user-voice", ctx_envelope=SUCCESS_DATA)
@document(
    "The user's voice (`ash` until one is chosen)",
    query=[("user_id", int)],
    responses={200: Success[SelectedVoice], **ERRORS},
    tag="accounts",
)
@requires()
async def get_user_voice(request: Request) -> HTTPResponse:
    user = await existing_user(request, query_user_id(request))
    return respond_data(SelectedVoice, {"voice": voice_of(user["selected_voice"])})


@bp.post("/api/user-voice", ctx_envelope=SUCCESS_DATA)
@document(
    "Choose one of the ten Realtime voices",
    body=VoiceChoice,
    responses={200: Success[SelectedVoice], **ERRORS},
    tag="accounts",
)
@requires()
async def post_user_voice(request: Request) -> HTTPResponse:
    body = enveloped_body(request, VoiceChoice)
    user_id = resolve_user_id(request, body.user_id)
    await existing_user(request, user_id)
    await set_voice(accounts(request).db, user_id, body.voice)
    return respond_data(SelectedVoice, {"voice": body.voice}, message="Voice successfully updated")
