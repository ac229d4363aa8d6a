"""Sign-up, login, Telegram Mini App login and "who am I" (`/api/auth/*`).

Every route here hands out a JWT for a `user` subject; the account itself is stored by the
accounts domain, which also grants the sign-up balance.
"""

from __future__ import annotations

import re
from typing import Any

from databases.interfaces import Record
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.accounts.docs import ERROR, documented
from app.accounts.routes.common import database, settings
from app.accounts.users import (
    TelegramProfile,
    create_password_user,
    find_user,
    serialize_user,
    upsert_telegram_user,
)
from app.accounts.validation import json_object, text
from app.auth.guards import auth_failures, current_identity, requires
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.auth.telegram import InitDataError, verify_init_data
from app.auth.tokens import issue_token
from app.db.tables.users import users
from app.errors import ApiError, bad_request

bp = Blueprint("auth")

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 128
MAX_INIT_DATA = 4096
SESSION = {"user": dict, "access_token": str, "token_type": str, "expires_in": int}
CREDENTIALS = {"username": str, "password": str}
BAD_CREDENTIALS = "invalid username or password"


def _session(request: Request, row: Record) -> dict[str, Any]:
    config = settings(request)
    token = issue_token(config.jwt_secret, str(row["id"]), row["role"], config.jwt_ttl)
    return {
        "user": serialize_user(row),
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(config.jwt_ttl),
    }


def _credentials(request: Request) -> tuple[str, str]:
    body = json_object(request)
    username = body.get("username")
    password = body.get("password")
    if not isinstance(username, str) or not USERNAME.match(username):
        raise bad_request("username must be 3-32 letters, digits, '.', '_' or '-'")
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise bad_request(f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters")
    return username, password


@bp.post("/api/auth/register")
@documented(
    "Create an account with a password; returns a token",
    body=CREDENTIALS,
    responses={201: SESSION, 400: ERROR, 409: ERROR},
    public=True,
    tag="auth",
)
async def register(request: Request) -> HTTPResponse:
    username, password = _credentials(request)
    row = await create_password_user(
        database(request),
        username,
        hash_password(password),
        settings(request).default_token_balance,
    )
    if row is None:
        raise ApiError(409, "username is already taken")
    return json(_session(request, row), status=201)


async def _limit_login_attempts(request: Request, username: str) -> None:
    """Password guessing is throttled per account and per client address, across workers.

    An address gets ten accounts' worth of attempts: many users may share one NAT."""
    limiter = request.app.ctx.rate_limiter
    per_account = request.app.ctx.settings.login_attempts_per_minute
    address = request.remote_addr or request.ip
    for key, per_minute in (
        (f"login:user:{username.lower()}", per_account),
        (f"login:ip:{address}", per_account * 10),
    ):
        if not await limiter.allow_exact(key, per_minute):
            auth_failures.labels("throttled").inc()
            raise ApiError(429, "too many log-in attempts", headers={"Retry-After": "60"})


@bp.post("/api/auth/login")
@documented(
    "Log in with a password; the same 401 for an unknown user and a wrong password",
    body=CREDENTIALS,
    responses={200: SESSION, 400: ERROR, 401: ERROR, 429: ERROR},
    public=True,
    tag="auth",
)
async def login(request: Request) -> HTTPResponse:
    username, password = _credentials(request)
    await _limit_login_attempts(request, username)
    db = database(request)
    row = await find_user(db, username=username)
    password_hash = row["password_hash"] if row is not None else None
    if not verify_password(password_hash, password):
        auth_failures.labels("bad_password").inc()
        raise ApiError(401, BAD_CREDENTIALS)
    if needs_rehash(password_hash):
        await db.execute(
            users.update()
            .where(users.c.id == row["id"])
            .values(password_hash=hash_password(password))
        )
    return json(_session(request, row))


@bp.post("/api/auth/telegram")
@documented(
    "Log in from the Telegram Mini App with its signed initData (creates the user)",
    body={"init_data": str},
    responses={200: SESSION, 400: ERROR, 401: ERROR, 503: ERROR},
    public=True,
    tag="auth",
)
async def telegram_login(request: Request) -> HTTPResponse:
    config = settings(request)
    if not config.telegram_bot_token:
        raise ApiError(503, "Telegram login is not configured")
    init_data = text(json_object(request), "init_data", MAX_INIT_DATA)
    try:
        user = verify_init_data(init_data, config.telegram_bot_token, config.telegram_auth_max_age)
    except InitDataError as exc:
        auth_failures.labels(f"telegram_{exc.reason}").inc()
        raise ApiError(401, str(exc)) from None
    profile = TelegramProfile(
        telegram_id=user["id"],
        **{
            name: str(user[name])[:limit] if user.get(name) else None
            for name, limit in (
                ("username", 64),
                ("first_name", 128),
                ("last_name", 128),
                ("language_code", 16),
            )
        },
    )
    row = await upsert_telegram_user(database(request), profile, config.default_token_balance)
    return json(_session(request, row))


@bp.get("/api/auth/me")
@documented(
    "Who the token belongs to (and the account, for user tokens)",
    responses={200: {"sub": str, "role": str, "user": dict}, 401: ERROR, 404: ERROR},
    tag="auth",
)
@requires()
async def me(request: Request) -> HTTPResponse:
    identity = current_identity(request)
    user = None
    if identity.user_id is not None:
        row = await find_user(database(request), id=identity.user_id)
        if row is None:
            raise ApiError(404, "this token's account no longer exists")
        user = serialize_user(row)
    return json({"sub": identity.sub, "role": identity.role.value, "user": user})
