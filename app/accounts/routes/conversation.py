"""Seed 000's `/api/conversation`: the last messages of a user's voice conversation."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.accounts.conversation import ROLES, add_message, last_messages
from app.accounts.docs import ERROR, documented
from app.accounts.routes.common import body_and_user_id, database, existing_user, query_user_id
from app.accounts.validation import choice, query_int, text
from app.auth.guards import requires

bp = Blueprint("accounts_conversation")

MESSAGE = {"id": int, "user_id": int, "role": str, "content": str, "created_at": str}
MAX_CONTENT = 32_000


@bp.get("/api/conversation")
@documented(
    "The last `limit` messages (default 6, at most 100), oldest first",
    query=[("user_id", int), ("limit", int)],
    responses={200: [MESSAGE], 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
)
@requires()
async def get_conversation(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    limit = query_int(request, "limit", default=6, maximum=100)
    db = database(request)
    await existing_user(request, user_id)
    return json(await last_messages(db, user_id, limit))


@bp.post("/api/conversation")
@documented(
    "Save one message (role: user, assistant or system)",
    body={"user_id": int, "role": str, "content": str},
    responses={201: MESSAGE, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
)
@requires()
async def post_conversation(request: Request) -> HTTPResponse:
    body, user_id = body_and_user_id(request)
    role = choice(body, "role", ROLES)
    content = text(body, "content", MAX_CONTENT)
    db = database(request)
    await existing_user(request, user_id)
    return json(await add_message(db, user_id, role, content), status=201)
