"""Seed 000's `/api/prompts`: a user's own instructions for the Realtime session."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.prompts import create_prompt, list_prompts
from app.accounts.routes.common import accounts, existing_user, query_user_id
from app.accounts.schemas import Prompt, PromptCreate
from app.auth.guards import requires, resolve_user_id
from app.http.bodies import ErrorBody, document, json_body, respond_as

bp = Blueprint("accounts_prompts")


@bp.get("/api/prompts")
@document(
    "A user's prompts, oldest first",
    query=[("user_id", int)],
    responses={200: list[Prompt], 401: ErrorBody, 403: ErrorBody, 404: ErrorBody},
    tag="accounts",
)
@requires()
async def get_prompts(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    await existing_user(request, user_id)
    return respond_as(list[Prompt], await list_prompts(accounts(request).db, user_id))


@bp.post("/api/prompts")
@document(
    "Create a prompt; it becomes the selected one unless `selected` is false",
    body=PromptCreate,
    responses={201: Prompt, **{status: ErrorBody for status in (400, 401, 403, 404)}},
    tag="accounts",
)
@requires()
async def post_prompt(request: Request) -> HTTPResponse:
    body = json_body(request, PromptCreate)
    user_id = resolve_user_id(request, body.user_id)
    await existing_user(request, user_id)
    prompt = await create_prompt(
        accounts(request).db, user_id, body.name, body.content, body.selected
    )
    return respond_as(Prompt, prompt, status=201)
