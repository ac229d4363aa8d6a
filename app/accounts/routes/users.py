"""Seed 000's `/api/users`: create-or-update by Telegram id, look up, choose a model.

A `user` token may only touch its own account; in particular it cannot claim a Telegram id
(that needs a signed initData at /api/auth/telegram, or a service token from the bot).
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.routes.common import accounts, existing_user, query_user_id
from app.accounts.schemas import MAX_TELEGRAM_ID, ModelChoice, User, UserUpsert
from app.accounts.users import (
    TelegramProfile,
    find_user,
    serialize_user,
    set_selected_model,
    upsert_telegram_user,
)
from app.auth.guards import current_identity, requires, resolve_user_id
from app.errors import bad_request, forbidden, not_found
from app.http.bodies import ErrorBody, document, json_body, respond_as

bp = Blueprint("accounts_users")

ERRORS = {status: ErrorBody for status in (400, 401, 403, 404)}


async def _check_own_telegram_id(request: Request, telegram_id: int) -> None:
    """A `user` token names only its own Telegram id; service and admin tokens name any."""
    identity = current_identity(request)
    if identity.privileged:
        return
    db = accounts(request).db
    own = await find_user(db, id=identity.user_id) if identity.user_id else None
    if own is None or own["telegram_id"] != telegram_id:
        raise forbidden("you may only act on your own account")


@bp.post("/api/users")
@document(
    "Create or update a user by Telegram id (new users get DEFAULT_TOKEN_BALANCE)",
    body=UserUpsert,
    responses={200: User, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody},
    tag="accounts",
)
@requires()
async def upsert_user(request: Request) -> HTTPResponse:
    body = json_body(request, UserUpsert)
    profile = TelegramProfile(
        telegram_id=body.telegram_id,
        username=body.username,
        first_name=body.first_name,
        last_name=body.last_name,
        language_code=body.language_code,
    )
    await _check_own_telegram_id(request, body.telegram_id)
    service = accounts(request)
    row = await upsert_telegram_user(service.db, profile, service.settings.default_token_balance)
    return respond_as(User, serialize_user(row))


@bp.get("/api/users")
@document(
    "A user by `telegram_id` or `user_id` (yourself when neither is given)",
    query=[("telegram_id", int), ("user_id", int)],
    responses={200: User, **ERRORS},
    tag="accounts",
)
@requires()
async def get_user(request: Request) -> HTTPResponse:
    db = accounts(request).db
    raw_telegram_id = request.args.get("telegram_id")
    if raw_telegram_id is None:
        row = await find_user(db, id=query_user_id(request))
    else:
        digits = raw_telegram_id.isascii() and raw_telegram_id.isdigit()
        if not digits or not 0 < int(raw_telegram_id) <= MAX_TELEGRAM_ID:
            raise bad_request("telegram_id must be a positive integer")
        await _check_own_telegram_id(request, int(raw_telegram_id))
        row = await find_user(db, telegram_id=int(raw_telegram_id))
    if row is None:
        raise not_found("user not found")
    return respond_as(User, serialize_user(row))


@bp.patch("/api/users")
@document(
    "Choose the model a user talks to",
    body=ModelChoice,
    responses={200: User, **ERRORS},
    tag="accounts",
)
@requires()
async def update_user(request: Request) -> HTTPResponse:
    choice = json_body(request, ModelChoice)
    user_id = resolve_user_id(request, choice.user_id)
    await existing_user(request, user_id)
    row = await set_selected_model(accounts(request).db, user_id, choice.selected_model)
    return respond_as(User, serialize_user(row))
