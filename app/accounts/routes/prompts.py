"""Seed 000's `/api/prompts`: the prompt catalogue a plan opens, and a user's own prompts."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.prompts import catalogue, create_prompt
from app.accounts.routes.common import accounts, existing_user, query_user_id
from app.accounts.schemas import PromptCatalog, PromptCreate, PromptData
from app.auth.guards import requires, resolve_user_id
from app.http.bodies import document
from app.http.envelopes import SUCCESS_DATA, Failure, Success, enveloped_body, respond_data

bp = Blueprint("accounts_prompts")


@bp.get("/api/prompts", ctx_envelope=SUCCESS_DATA)
@document(
    "The plan's base prompts, the user's own prompts, the selection and the prompt limits",
    query=[("user_id", int)],
    responses={200: Success[PromptCatalog], **{code: Failure for code in (400, 401, 403, 404)}},
    tag="accounts",
)
@requires()
async def get_prompts(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    user = await existing_user(request, user_id)
    data = await catalogue(accounts(request).db, user_id, user["selected_prompt_id"])
    return respond_data(PromptCatalog, data)


@bp.post("/api/prompts", ctx_envelope=SUCCESS_DATA)
@document(
    "Create an own prompt (403 `Prompt limit reached for your plan` past the plan's limit); "
    'not selected unless `"selected": true`',
    body=PromptCreate,
    responses={200: Success[PromptData], **{status: Failure for status in (400, 401, 403, 404)}},
    tag="accounts",
)
@requires()
async def post_prompt(request: Request) -> HTTPResponse:
    body = enveloped_body(request, PromptCreate)
    user_id = resolve_user_id(request, body.user_id)
    fields = body.model_dump(
        include={"title", "content", "description", "category", "voice_gender"}
    )
    prompt = await create_prompt(accounts(request).db, user_id, fields, selected=body.selected)
    return respond_data(PromptData, {"prompt": prompt})
