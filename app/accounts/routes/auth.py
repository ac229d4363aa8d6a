"""Sign-up, login, Telegram Mini App login and "who am I" (`/api/auth/*`).

Every route here hands out a JWT for a `user` subject; the identity primitives (tokens,
passwords, the Telegram check) come from `app.auth`, the account from this domain.
"""

from __future__ import annotations

from databases.interfaces import Record
from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.routes.common import accounts
from app.accounts.schemas import (
    Credentials,
    LoggedOut,
    LogIn,
    LogOut,
    Me,
    Refresh,
    Session,
    TelegramLogin,
)
from app.accounts.users import (
    create_password_user,
    find_user,
    serialize_user,
    telegram_profile,
    upsert_telegram_user,
)
from app.auth.guards import auth_failures, current_identity, requires
from app.auth.identity import Identity
from app.auth.passwords import needs_rehash
from app.auth.telegram import InitDataError, verify_init_data
from app.auth.tokens import REFRESH, TokenError, decode_token, issue_token
from app.db.tables.users import users
from app.errors import DomainError, too_many
from app.http.bodies import ErrorBody, document, json_body, respond_as
from app.http.proxies import client_address
from app.services import services_of

bp = Blueprint("auth")

BAD_CREDENTIALS = "invalid username or password"


def _session(request: Request, row: Record) -> dict[str, object]:
    config = accounts(request).settings
    sub, role = str(row["id"]), row["role"]
    token = issue_token(config.jwt_secret, sub, role, config.jwt_ttl)
    refresh = issue_token(config.jwt_secret, sub, role, config.jwt_refresh_ttl, kind=REFRESH)
    return {
        "user": serialize_user(row),
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(config.jwt_ttl),
        "refresh_token": refresh,
        "refresh_expires_in": int(config.jwt_refresh_ttl),
    }


def _refresh_identity(request: Request, token: str) -> Identity:
    try:
        return decode_token(accounts(request).settings.jwt_secret, token, kind=REFRESH)
    except TokenError as exc:
        auth_failures.labels(f"refresh_{exc.reason}").inc()
        raise DomainError(401, "invalid refresh token") from None


@bp.post("/api/auth/register")
@document(
    "Create an account with a password; returns a token",
    body=Credentials,
    responses={201: Session, 400: ErrorBody, 409: ErrorBody},
    public=True,
    tag="auth",
)
async def register(request: Request) -> HTTPResponse:
    credentials = json_body(request, Credentials)
    service = accounts(request)
    # Each sign-up costs a hash and a row: throttled per client address, across workers.
    await _limit(
        request,
        f"register:ip:{client_address(request)}",
        service.settings.registrations_per_minute,
        "sign-ups",
    )
    row = await create_password_user(
        service.db,
        credentials.username,
        await service.passwords.hash(credentials.password),
        service.settings.default_token_balance,
    )
    if row is None:
        raise DomainError(409, "username is already taken")
    return respond_as(Session, _session(request, row), status=201)


async def _limit(request: Request, key: str, per_minute: int, what: str) -> None:
    """Count one attempt against `key` (across workers); 429 "too many `what`" past
    `per_minute`."""
    if not await accounts(request).limiter.allow_exact(key, per_minute):
        auth_failures.labels("throttled").inc()
        raise too_many(f"too many {what}", retry_after=60)


async def _limit_login_attempts(request: Request, username: str) -> None:
    """Password guessing is throttled per account and per client address, across workers.

    An address gets ten accounts' worth of attempts: many users may share one NAT."""
    per_account = accounts(request).settings.login_attempts_per_minute
    what = "log-in attempts"
    await _limit(request, f"login:user:{username.lower()}", per_account, what)
    await _limit(request, f"login:ip:{client_address(request)}", per_account * 10, what)


@bp.post("/api/auth/login")
@document(
    "Log in with a password; the same 401 for an unknown user and a wrong password",
    body=LogIn,
    responses={200: Session, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody},
    public=True,
    tag="auth",
)
async def login(request: Request) -> HTTPResponse:
    credentials = json_body(request, LogIn)
    await _limit_login_attempts(request, credentials.username)
    db = accounts(request).db
    row = await find_user(db, username=credentials.username)
    password_hash = row["password_hash"] if row is not None else None
    # Verified even for an unknown user (against a dummy hash): the same work either way.
    verified = await accounts(request).passwords.verify(password_hash, credentials.password)
    if row is None or password_hash is None or not verified:
        auth_failures.labels("bad_password").inc()
        raise DomainError(401, BAD_CREDENTIALS)
    if needs_rehash(password_hash):
        await db.execute(
            users.update()
            .where(users.c.id == row["id"])
            .values(password_hash=await accounts(request).passwords.hash(credentials.password))
        )
    return respond_as(Session, _session(request, row))


@bp.post("/api/auth/telegram")
@document(
    "Log in from the Telegram Mini App with its signed initData (creates the user)",
    body=TelegramLogin,
    responses={200: Session, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody},
    public=True,
    tag="auth",
)
async def telegram_login(request: Request) -> HTTPResponse:
    service = accounts(request)
    config = service.settings
    if not config.telegram_bot_token:
        raise DomainError(503, "Telegram login is not configured")
    init_data = json_body(request, TelegramLogin).init_data
    try:
        user = verify_init_data(init_data, config.telegram_bot_token, config.telegram_auth_max_age)
    except InitDataError as exc:
        auth_failures.labels(f"telegram_{exc.reason}").inc()
        raise DomainError(401, str(exc)) from None
    row = await upsert_telegram_user(
        service.db, telegram_profile(user), config.default_token_balance
    )
    return respond_as(Session, _session(request, row))


@bp.get("/api/auth/me")
@document(
    "Who the token belongs to (and the account, for user tokens)",
    responses={200: Me, 401: ErrorBody, 404: ErrorBody},
    tag="auth",
)
@requires()
async def me(request: Request) -> HTTPResponse:
    identity = current_identity(request)
    user = None
    if identity.user_id is not None:
        row = await find_user(accounts(request).db, id=identity.user_id)
        if row is None:
            raise DomainError(404, "this token's account no longer exists")
        user = serialize_user(row)
    return respond_as(Me, {"sub": identity.sub, "role": identity.role.value, "user": user})


@bp.post("/api/auth/refresh")
@document(
    "Trade a refresh token, once, for a new access token and refresh token",
    body=Refresh,
    responses={200: Session, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody, 503: ErrorBody},
    public=True,
    tag="auth",
)
async def refresh(request: Request) -> HTTPResponse:
    token = json_body(request, Refresh).refresh_token
    service = accounts(request)
    per_minute = service.settings.login_attempts_per_minute * 10
    await _limit(request, f"refresh:ip:{client_address(request)}", per_minute, "refreshes")
    identity = _refresh_identity(request, token)
    # Spent before anything else: a stolen copy used after its owner cannot renew anything.
    if not await services_of(request.app).revocations.spend(identity):
        auth_failures.labels("refresh_reused").inc()
        raise DomainError(401, "refresh token already used or revoked")
    row = await find_user(service.db, id=int(identity.sub)) if identity.sub.isdigit() else None
    if row is None:
        raise DomainError(401, "this token's account no longer exists")
    return respond_as(Session, _session(request, row))


@bp.post("/api/auth/logout")
@document(
    "Revoke the calling access token (and the session's refresh token, if given)",
    body=LogOut,
    responses={200: LoggedOut, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody},
    tag="auth",
)
@requires()
async def logout(request: Request) -> HTTPResponse:
    identity = current_identity(request)
    body = json_body(request, LogOut) if request.body else LogOut()
    revocations = services_of(request.app).revocations
    tokens = [identity]
    if body.refresh_token:
        session = _refresh_identity(request, body.refresh_token)
        if session.sub != identity.sub:
            raise DomainError(401, "invalid refresh token")
        tokens.append(session)
    for token in tokens:
        await revocations.revoke(token)
    return respond_as(LoggedOut, {"revoked": len(tokens)})
