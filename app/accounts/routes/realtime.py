"""Seed 000's `/api/token`: an ephemeral OpenAI Realtime secret for the caller's session.

Minting costs nothing by itself, but a session does: it is refused below
`MIN_TOKEN_THRESHOLD`, so a user cannot start talking with a balance that cannot pay.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.metrics import realtime_tokens_minted
from app.accounts.prompts import selected_instructions
from app.accounts.realtime import DEFAULT_INSTRUCTIONS, mint_client_secret
from app.accounts.routes.common import accounts, existing_user, query_user_id
from app.accounts.schemas import RealtimeRefused, RealtimeSecret
from app.auth.guards import requires
from app.errors import DomainError
from app.http.bodies import ErrorBody, document, respond_as

bp = Blueprint("accounts_realtime")


@bp.get("/api/token")
@document(
    "Mint an ephemeral OpenAI Realtime secret (needs MIN_TOKEN_THRESHOLD tokens)",
    query=[("user_id", int)],
    responses={
        200: RealtimeSecret,
        401: ErrorBody,
        402: RealtimeRefused,
        403: ErrorBody,
        404: ErrorBody,
        502: ErrorBody,
        503: ErrorBody,
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
            "insufficient tokens",
            balance=user["balance"],
            required=config.min_token_threshold,
        )
    instructions = await selected_instructions(service.db, user_id) or DEFAULT_INSTRUCTIONS
    secret = await mint_client_secret(client, config, instructions)
    realtime_tokens_minted.inc()
    return respond_as(RealtimeSecret, secret)
