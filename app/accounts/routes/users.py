"""Seed 000's `/api/users`: create-or-update by Telegram id, look up, choose a model.

A `user` token may only touch its own account; in particular it cannot claim a Telegram id
(that needs a signed initData at /api/auth/telegram, or a service token from the bot).
"""

from __future__ import annotations

import re

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.accounts.docs import ERROR, documented
from app.accounts.routes.common import (
    body_and_user_id,
    database,
    existing_user,
    query_user_id,
    settings,
)
from app.accounts.users import (
    TelegramProfile,
    find_user,
    serialize_user,
    set_selected_model,
    upsert_telegram_user,
)
from app.accounts.validation import json_object, positive_int, text
from app.auth.guards import current_identity, requires
from app.errors import bad_request, forbidden, not_found

bp = Blueprint("accounts_users")

MAX_TELEGRAM_ID = 2**63 - 1
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
USER_SHAPE = {
    "id": int,
    "telegram_id": int,
    "username": str,
    "first_name": str,
    "last_name": str,
    "language_code": str,
    "selected_model": str,
    "balance": int,
    "role": str,
    "created_at": str,
    "updated_at": str,
}


async def _check_own_telegram_id(request: Request, telegram_id: int) -> None:
    """A `user` token names only its own Telegram id; service and admin tokens name any."""
    identity = current_identity(request)
    if identity.privileged:
        return
    own = await find_user(database(request), id=identity.user_id) if identity.user_id else None
    if own is None or own["telegram_id"] != telegram_id:
        raise forbidden("you may only act on your own account")


@bp.post("/api/users")
@documented(
    "Create or update a user by Telegram id (new users get DEFAULT_TOKEN_BALANCE)",
    body={
        "telegram_id": int,
        "username": str,
        "first_name": str,
        "last_name": str,
        "language_code": str,
    },
    responses={200: USER_SHAPE, 400: ERROR, 401: ERROR, 403: ERROR},
)
@requires()
async def upsert_user(request: Request) -> HTTPResponse:
    body = json_object(request)
    telegram_id = positive_int(body.get("telegram_id"), "telegram_id", MAX_TELEGRAM_ID)
    profile = TelegramProfile(
        telegram_id=telegram_id,
        username=text(body, "username", 64, required=False),
        first_name=text(body, "first_name", 128, required=False),
        last_name=text(body, "last_name", 128, required=False),
        language_code=text(body, "language_code", 16, required=False),
    )
    await _check_own_telegram_id(request, telegram_id)
    row = await upsert_telegram_user(
        database(request), profile, settings(request).default_token_balance
    )
    return json(serialize_user(row))


@bp.get("/api/users")
@documented(
    "A user by `telegram_id` or `user_id` (yourself when neither is given)",
    query=[("telegram_id", int), ("user_id", int)],
    responses={200: USER_SHAPE, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
)
@requires()
async def get_user(request: Request) -> HTTPResponse:
    raw_telegram_id = request.args.get("telegram_id")
    if raw_telegram_id is None:
        row = await find_user(database(request), id=query_user_id(request))
    else:
        if not raw_telegram_id.isdigit() or int(raw_telegram_id) > MAX_TELEGRAM_ID:
            raise bad_request("telegram_id must be a positive integer")
        await _check_own_telegram_id(request, int(raw_telegram_id))
        row = await find_user(database(request), telegram_id=int(raw_telegram_id))
    if row is None:
        raise not_found("user not found")
    return json(serialize_user(row))


@bp.patch("/api/users")
@documented(
    "Choose the model a user talks to",
    body={"user_id": int, "selected_model": str},
    responses={200: USER_SHAPE, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
)
@requires()
async def update_user(request: Request) -> HTTPResponse:
    body, user_id = body_and_user_id(request)
    model = body.get("selected_model")
    if not isinstance(model, str) or not MODEL_NAME.match(model):
        raise bad_request("selected_model must be a model name (letters, digits, . _ : -)")
    db = database(request)
    await existing_user(request, user_id)
    return json(serialize_user(await set_selected_model(db, user_id, model)))
