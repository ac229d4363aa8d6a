"""Seed 000's `/api/token`: an ephemeral OpenAI Realtime secret for the caller's session.

Minting costs nothing by itself, but a session does: it is refused below
`MIN_TOKEN_THRESHOLD`, so a user cannot start talking with a balance that cannot pay. The
session takes the user's model, voice and selected prompt, and the last messages as context.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.conversation import last_messages
from app.accounts.metrics import realtime_tokens_minted
from app.accounts.prompts import usable_prompt
from app.accounts.realtime import build_instructions, mint_client_secret
from app.accounts.routes.common import accounts, existing_user, query_user_id
from app.accounts.schemas import RealtimeSecret
from app.accounts.voices import voice_of
from app.auth.guards import requires
from app.errors import DomainError
from app.http.bodies import document
from app.http.envelopes import SUCCESS_DATA, Failure, Success, respond_data

bp = Blueprint("accounts_realtime")

# The messages a new session is told about: the mini-app's own history window.
CONTEXT_MESSAGES = 6


@bp.get("/api/token", ctx_envelope=SUCCESS_DATA)
@document(
    "Mint an ephemeral OpenAI Realtime secret (402 `Insufficient tokens` below "
    "MIN_TOKEN_THRESHOLD)",
    query=[("user_id", int)],
    responses={
        200: Success[RealtimeSecret],
        **{status: Failure for status in (400, 401, 402, 403, 404, 502, 503)},
    },
    tag="accounts",
)
@requires()
async def realtime_token(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    service = accounts(request)
    config = service.settings
    user = await existing_user(request, user_id)
    client = service.openai_realtime
    if client is None:
        raise DomainError(503, "OpenAI is not configured")
    if user["balance"] < config.min_token_threshold:
        raise DomainError(
            402,
            "Insufficient tokens",
            balance=user["balance"],
            required=config.min_token_threshold,
        )
    prompt = await usable_prompt(service.db, user_id, user["selected_prompt_id"])
    messages = await last_messages(service.db, user_id, CONTEXT_MESSAGES)
    voice = voice_of(user["selected_voice"])
    instructions = build_instructions(
        prompt["content"] if prompt else None,
        voice,
        prompt["voice_gender"] if prompt else None,
        messages,
    )
    secret = await mint_client_secret(client, config, user["selected_model"], voice, instructions)
    realtime_tokens_minted.inc()
    return respond_data(RealtimeSecret, secret)
