"""Seed 000's `/api/conversation`: the last messages of a user's voice conversation."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.conversation import add_message, last_messages
from app.accounts.routes.common import accounts, existing_user, query_int, query_user_id
from app.accounts.schemas import ConversationMessageCreate, MessageList, MessageSaved
from app.auth.guards import requires, resolve_user_id
from app.http.bodies import document
from app.http.envelopes import SUCCESS_DATA, Failure, Success, enveloped_body, respond_data

bp = Blueprint("accounts_conversation")

ERRORS = {status: Failure for status in (400, 401, 403, 404)}


@bp.get("/api/conversation", ctx_envelope=SUCCESS_DATA)
@document(
    "The last `limit` messages (default 6, at most 100), oldest first",
    query=[("user_id", int), ("limit", int)],
    responses={200: Success[MessageList], **ERRORS},
    tag="accounts",
)
@requires()
async def get_conversation(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    limit = query_int(request, "limit", default=6, maximum=100)
    await existing_user(request, user_id)
    messages = await last_messages(accounts(request).db, user_id, limit)
    return respond_data(MessageList, {"messages": messages})


@bp.post("/api/conversation", ctx_envelope=SUCCESS_DATA)
@document(
    "Save one message (message_type: user or assistant)",
    body=ConversationMessageCreate,
    responses={200: Success[MessageSaved], **ERRORS},
    tag="accounts",
)
@requires()
async def post_conversation(request: Request) -> HTTPResponse:
    body = enveloped_body(request, ConversationMessageCreate)
    user_id = resolve_user_id(request, body.user_id)
    await existing_user(request, user_id)
    message_id = await add_message(
        accounts(request).db,
        user_id,
        body.message_type,
        body.content,
        body.session_id,
        body.audio_duration_seconds,
    )
    return respond_data(MessageSaved, {"message_id": message_id})
