"""Seed 000's `/api/token`: an ephemeral OpenAI Realtime secret for the caller's session.

Minting costs nothing by itself, but a session does: it is refused below
`MIN_TOKEN_THRESHOLD`, so a user cannot start talking with a balance that cannot pay.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.accounts.docs import ERROR, documented
from app.accounts.metrics import realtime_tokens_minted
from app.accounts.prompts import selected_instructions
from app.accounts.realtime import DEFAULT_INSTRUCTIONS, mint_client_secret
from app.accounts.routes.common import database, existing_user, query_user_id, settings
from app.auth.guards import requires
from app.errors import ApiError

bp = Blueprint("accounts_realtime")

SECRET = {
    "value": str,
    "expires_at": int,
    "session": dict,
    "client_secret": {"value": str, "expires_at": int},
}


@bp.get("/api/token")
@documented(
    "Mint an ephemeral OpenAI Realtime secret (needs MIN_TOKEN_THRESHOLD tokens)",
    query=[("user_id", int)],
    responses={
        200: SECRET,
        401: ERROR,
        402: {"error": str, "balance": int, "required": int},
        403: ERROR,
        404: ERROR,
        502: ERROR,
        503: ERROR,
    },
)
@requires()
async def realtime_token(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    db = database(request)
    config = settings(request)
    user = await existing_user(request, user_id)
    client = request.app.ctx.openai_realtime
    if client is None:
        raise ApiError(503, "OpenAI is not configured")
    if user["balance"] < config.min_token_threshold:
        raise ApiError(
            402,
            "insufficient tokens",
            balance=user["balance"],
            required=config.min_token_threshold,
        )
    instructions = await selected_instructions(db, user_id) or DEFAULT_INSTRUCTIONS
    secret = await mint_client_secret(client, config, instructions)
    realtime_tokens_minted.inc()
    return json(secret)
