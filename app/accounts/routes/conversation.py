"""Seed 000's `/api/conversation`: the last messages of a user's voice conversation."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.conversation import add_message, last_messages
from app.accounts.routes.common import accounts, existing_user, query_int, query_user_id
from app.accounts.schemas import ConversationMessage, ConversationMessageCreate
from app.auth.guards import requires, resolve_user_id
from app.http.bodies import ErrorBody, document, json_body, respond_as

bp = Blueprint("accounts_conversation")

ERRORS = {status: ErrorBody for status in (400, 401, 403, 404)}


@bp.get("/api/conversation")
@document(
    "The last `limit` messages (default 6, at most 100), oldest first",
    query=[("user_id", int), ("limit", int)],
    responses={200: list[ConversationMessage], **ERRORS},
    tag="accounts",
)
@requires()
async def get_conversation(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    limit = query_int(request, "limit", default=6, maximum=100)
    await existing_user(request, user_id)
    messages = await last_messages(accounts(request).db, user_id, limit)
    return respond_as(list[ConversationMessage], messages)


@bp.post("/api/conversation")
@document(
    "Save one message (role: user, assistant or system)",
    body=ConversationMessageCreate,
    responses={201: ConversationMessage, **ERRORS},
    tag="accounts",
)
@requires()
async def post_conversation(request: Request) -> HTTPResponse:
    body = json_body(request, ConversationMessageCreate)
    user_id = resolve_user_id(request, body.user_id)
    await existing_user(request, user_id)
    message = await add_message(accounts(request).db, user_id, body.role, body.content)
    return respond_as(ConversationMessage, message, status=201)
