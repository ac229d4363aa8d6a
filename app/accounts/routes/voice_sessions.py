"""Seed 000's `/api/voice-sessions`: reports of finished voice sessions and their totals."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.routes.common import accounts, existing_user, query_int, query_user_id
from app.accounts.schemas import (
    VoiceSessionCreate,
    VoiceSessionList,
    VoiceSessionSaved,
    VoiceSessionStats,
)
from app.accounts.voice_sessions import recent_sessions, record_session, session_stats
from app.auth.guards import requires, resolve_user_id
from app.http.bodies import document
from app.http.envelopes import SUCCESS_DATA, Failure, Success, enveloped_body, respond_data

bp = Blueprint("accounts_voice_sessions")

ERRORS = {status: Failure for status in (400, 401, 403, 404)}


@bp.post("/api/voice-sessions", ctx_envelope=SUCCESS_DATA)
@document(
    "Report a finished voice session",
    body=VoiceSessionCreate,
    responses={200: Success[VoiceSessionSaved], **ERRORS},
    tag="accounts",
)
@requires()
async def post_voice_session(request: Request) -> HTTPResponse:
    body = enveloped_body(request, VoiceSessionCreate)
    user_id = resolve_user_id(request, body.user_id)
    await existing_user(request, user_id)
    session_id = await record_session(accounts(request).db, user_id, body.model_dump())
    return respond_data(VoiceSessionSaved, {"session_id": session_id})


@bp.get("/api/voice-sessions", ctx_envelope=SUCCESS_DATA)
@document(
    "The user's voice sessions, newest first (limit: default 20, at most 100)",
    query=[("user_id", int), ("limit", int)],
    responses={200: Success[VoiceSessionList], **ERRORS},
    tag="accounts",
)
@requires()
async def get_voice_sessions(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    limit = query_int(request, "limit", default=20, maximum=100)
    await existing_user(request, user_id)
    sessions = await recent_sessions(accounts(request).db, user_id, limit)
    return respond_data(VoiceSessionList, {"sessions": sessions})


@bp.get("/api/voice-sessions/stats", ctx_envelope=SUCCESS_DATA)
@document(
    "Totals over the user's voice sessions (`avg_quality` null when none reported one)",
    query=[("user_id", int)],
    responses={200: Success[VoiceSessionStats], **ERRORS},
    tag="accounts",
)
@requires()
async def get_voice_session_stats(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    await existing_user(request, user_id)
    return respond_data(VoiceSessionStats, await session_stats(accounts(request).db, user_id))
