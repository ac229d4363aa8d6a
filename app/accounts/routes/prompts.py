"""Seed 000's `/api/prompts`: a user's own instructions for the Realtime session."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.accounts.docs import ERROR, documented
from app.accounts.prompts import create_prompt, list_prompts
from app.accounts.routes.common import body_and_user_id, database, existing_user, query_user_id
from app.accounts.validation import text
from app.auth.guards import requires
from app.errors import bad_request

bp = Blueprint("accounts_prompts")

PROMPT = {
    "id": int,
    "user_id": int,
    "name": str,
    "content": str,
    "is_selected": bool,
    "created_at": str,
}
MAX_PROMPT = 16_000


@bp.get("/api/prompts")
@documented(
    "A user's prompts, oldest first",
    query=[("user_id", int)],
    responses={200: [PROMPT], 401: ERROR, 403: ERROR, 404: ERROR},
)
@requires()
async def get_prompts(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    db = database(request)
    await existing_user(request, user_id)
    return json(await list_prompts(db, user_id))


@bp.post("/api/prompts")
@documented(
    "Create a prompt; it becomes the selected one unless `selected` is false",
    body={"user_id": int, "name": str, "content": str, "selected": bool},
    responses={201: PROMPT, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
)
@requires()
async def post_prompt(request: Request) -> HTTPResponse:
    body, user_id = body_and_user_id(request)
    name = text(body, "name", 128)
    content = text(body, "content", MAX_PROMPT)
    selected = body.get("selected", True)
    if not isinstance(selected, bool):
        raise bad_request("selected must be true or false")
    db = database(request)
    await existing_user(request, user_id)
    return json(await create_prompt(db, user_id, name, content, selected), status=201)
