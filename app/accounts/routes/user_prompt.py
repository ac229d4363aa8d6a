"""Seed 000's `/api/user-prompt`: select a prompt, or delete one of the user's own."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.prompts import delete_prompt, select_prompt
from app.accounts.routes.common import accounts, existing_user, query_user_id
from app.accounts.schemas import PromptDeleted, PromptSelection
from app.auth.guards import requires, resolve_user_id
from app.db.sql import MAX_ID
from app.errors import bad_request
from app.http.bodies import document
from app.http.envelopes import SUCCESS_DATA, Failure, Success, enveloped_body, respond_data

bp = Blueprint("accounts_user_prompt")

ERRORS = {status: Failure for status in (400, 401, 403, 404)}


def query_prompt_id(request: Request) -> int:
    raw = request.args.get("prompt_id")
    if raw in (None, ""):
        raise bad_request("prompt_id parameter is required")
    # isdigit() alone admits "²", which int() refuses: ASCII digits only.
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise bad_request("prompt_id must be a positive integer")
    return int(raw)


@bp.post("/api/user-prompt", ctx_envelope=SUCCESS_DATA)
@document(
    "Select a prompt: an own active one or a base prompt the plan opens "
    "(404 `Prompt not found or not accessible`)",
    body=PromptSelection,
    responses={200: Success[None], **ERRORS},
    tag="accounts",
)
@requires()
async def post_user_prompt(request: Request) -> HTTPResponse:
    body = enveloped_body(request, PromptSelection)
    user_id = resolve_user_id(request, body.user_id)
    await existing_user(request, user_id)
    await select_prompt(accounts(request).db, user_id, body.prompt_id)
    return respond_data(None, None, message="Prompt successfully selected")


@bp.delete("/api/user-prompt", ctx_envelope=SUCCESS_DATA)
@document(
    "Delete an own prompt (soft); a selected one gives way to the default assistant "
    "(404 `Prompt not found or cannot be deleted`)",
    query=[("user_id", int), ("prompt_id", int)],
    responses={200: Success[PromptDeleted], **ERRORS},
    tag="accounts",
)
@requires()
async def delete_user_prompt(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    prompt_id = query_prompt_id(request)
    was_selected = await delete_prompt(accounts(request).db, user_id, prompt_id)
    return respond_data(
        PromptDeleted, {"was_selected": was_selected}, message="Prompt successfully deleted"
    )
