"""Seed 000's `/api/users`: create-or-update by Telegram id, look up, choose a model.

A user identity may only touch its own account; in particular it cannot claim a Telegram id
(that needs a signed initData, or a service token from the bot). The mini-app calls
`POST /api/users` when it opens: that refreshes the profile and `last_active`, never the balance.
"""

from __future__ import annotations

from typing import Any

from databases.interfaces import Record
from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.plans import active_plan
from app.accounts.routes.common import accounts, query_user_id
from app.accounts.schemas import (
    MAX_TELEGRAM_ID,
    MiniAppUserUpsert,
    ModelSelection,
    SelectedModel,
    UserAccount,
)
from app.accounts.users import (
    TelegramProfile,
    find_user,
    serialize_miniapp_user,
    set_selected_model,
    upsert_telegram_user,
)
from app.auth.guards import current_identity, requires, resolve_user_id, telegram_user
from app.errors import DomainError, bad_request, forbidden
from app.http.bodies import document
from app.http.envelopes import SUCCESS_DATA, Failure, Success, enveloped_body, respond_data

bp = Blueprint("accounts_users")

ERRORS = {status: Failure for status in (400, 401, 403, 404)}
USER_NOT_FOUND = "User not found"


async def _check_own_telegram_id(request: Request, telegram_id: int) -> None:
    """A user identity names only its own Telegram id; service and admin tokens name any."""
    identity = current_identity(request)
    if identity.privileged:
        return
    proven = telegram_user(request)
    if proven is not None:
        own_telegram_id = proven["id"]
    else:
        own = (
            await find_user(accounts(request).db, id=identity.user_id) if identity.user_id else None
        )
        own_telegram_id = None if own is None else own["telegram_id"]
    if own_telegram_id != telegram_id:
        raise forbidden("you may only act on your own account")


async def _account(request: Request, row: Record) -> HTTPResponse:
    """`{user, has_active_subscription, current_plan_name}`, for POST and GET alike."""
    plan = await active_plan(accounts(request).db, row["id"])
    plan_name = None if plan is None else plan["name"]
    data: dict[str, Any] = {
        "user": serialize_miniapp_user(row),
        "has_active_subscription": plan_name is not None,
        "current_plan_name": plan_name,
    }
    return respond_data(UserAccount, data)


def _profile(request: Request, body: MiniAppUserUpsert) -> TelegramProfile:
    """The body's profile; Premium only from a verified initData of that same user."""
    proven = telegram_user(request)
    premium = (
        proven.get("is_premium") is True if proven and proven["id"] == body.telegram_id else None
    )
    return TelegramProfile(
        telegram_id=body.telegram_id,
        username=body.username,
        first_name=body.first_name,
        last_name=body.last_name,
        language_code=body.language_code,
        is_premium=premium,
    )


@bp.post("/api/users", ctx_envelope=SUCCESS_DATA)
@document(
    "Create or update a user by Telegram id (new users get DEFAULT_TOKEN_BALANCE; the balance "
    "of a known user never changes here)",
    body=MiniAppUserUpsert,
    responses={200: Success[UserAccount], 400: Failure, 401: Failure, 403: Failure},
    tag="accounts",
)
@requires()
async def upsert_user(request: Request) -> HTTPResponse:
    body = enveloped_body(request, MiniAppUserUpsert)
    await _check_own_telegram_id(request, body.telegram_id)
    service = accounts(request)
    row = await upsert_telegram_user(
        service.db, _profile(request, body), service.settings.default_token_balance
    )
    return await _account(request, row)


def _query_telegram_id(raw: str) -> int:
    if (
        not (raw.isascii() and raw.isdigit() and len(raw) <= 19)
        or not 0 < int(raw) <= MAX_TELEGRAM_ID
    ):
        raise bad_request("telegram_id must be a positive integer")
    return int(raw)


@bp.get("/api/users", ctx_envelope=SUCCESS_DATA)
@document(
    "A user by `telegram_id` or `user_id` (yourself when neither is given), with its plan",
    query=[("telegram_id", str), ("user_id", int)],
    responses={200: Success[UserAccount], **ERRORS},
    tag="accounts",
)
@requires()
async def get_user(request: Request) -> HTTPResponse:
    db = accounts(request).db
    raw_telegram_id = request.args.get("telegram_id")
    if raw_telegram_id in (None, ""):
        row = await find_user(db, id=query_user_id(request))
    else:
        # Both may be named (each checked against the caller): they must be the same user.
        named = query_user_id(request) if request.args.get("user_id") not in (None, "") else None
        telegram_id = _query_telegram_id(raw_telegram_id)
        await _check_own_telegram_id(request, telegram_id)
        row = await find_user(db, telegram_id=telegram_id)
        if row is not None and named is not None and row["id"] != named:
            row = None
    if row is None:
        raise DomainError(404, USER_NOT_FOUND)
    return await _account(request, row)


@bp.patch("/api/users", ctx_envelope=SUCCESS_DATA)
@document(
    "Choose the Realtime model a user talks to (gpt-realtime or gpt-realtime-mini)",
    body=ModelSelection,
    responses={200: Success[SelectedModel], **ERRORS},
    tag="accounts",
)
@requires()
async def update_user(request: Request) -> HTTPResponse:
    choice = enveloped_body(request, ModelSelection)
    user_id = resolve_user_id(request, choice.user_id)
    await set_selected_model(accounts(request).db, user_id, choice.selected_model)
    return respond_data(SelectedModel, {"selected_model": choice.selected_model})
