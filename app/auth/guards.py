"""Who is calling, checked on every request that carries or needs a token.

`authenticator(secret, telegram, revocations)` builds the request middleware: a present but
invalid, revoked or refresh-only Bearer token is refused with 401 even on public routes,
because a client that sends a broken token should learn so at once. `Authorization: tma
<initData>` (the Telegram Mini Apps convention) is verified here too; the account it names is
the accounts domain's to find or create, so a verified Telegram user waits in
`request.ctx.telegram_user` until that domain's middleware turns it into an identity.
`requires` decorates handlers; `resolve_user_id` is the IDOR gate for seed 000's routes that
take a `user_id` from the client.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import wraps
from typing import Any

from prometheus_client import Counter
from sanic import Request

from app.auth.identity import MAX_USER_ID, Identity, Role
from app.auth.revocation import Revocations
from app.auth.telegram import InitDataError, verify_init_data
from app.auth.tokens import TokenError, decode_token
from app.errors import DomainError

auth_failures = Counter("voxhub_auth_failures_total", "Refused credentials by reason", ["reason"])


Middleware = Callable[[Request], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class TelegramCheck:
    """What verifies `tma` initData: the bot's token and how old a signature may be."""

    bot_token: str
    max_age: float


def authenticator(
    secret: str, telegram: TelegramCheck | None = None, revocations: Revocations | None = None
) -> Middleware:
    """The request middleware that verifies a Bearer token with `secret` (and that
    `revocations` does not list it), or `tma` initData with `telegram`, if one is sent."""

    async def authenticate(request: Request) -> None:
        request.ctx.identity = None
        request.ctx.telegram_user = None
        header = request.headers.get("authorization")
        if not header:
            return
        scheme, _, credential = header.partition(" ")
        scheme, credential = scheme.lower(), credential.strip()
        if scheme == "tma" and credential:
            request.ctx.telegram_user = _verified_telegram_user(telegram, credential)
            return
        if scheme != "bearer" or not credential:
            auth_failures.labels("malformed").inc()
            raise DomainError(401, "expected 'Authorization: Bearer <token>' or 'tma <initData>'")
        try:
            identity = decode_token(secret, credential)
        except TokenError as exc:
            auth_failures.labels(exc.reason).inc()
            raise DomainError(401, str(exc)) from None
        if revocations is not None and await revocations.is_revoked(identity):
            auth_failures.labels("revoked").inc()
            raise DomainError(401, "token revoked")
        request.ctx.identity = identity

    return authenticate


def _verified_telegram_user(telegram: TelegramCheck | None, init_data: str) -> dict[str, Any]:
    if telegram is None:
        auth_failures.labels("telegram_not_configured").inc()
        raise DomainError(401, "Telegram sign-in is not configured on this server")
    try:
        return verify_init_data(init_data, telegram.bot_token, telegram.max_age)
    except InitDataError as exc:
        auth_failures.labels(f"telegram_{exc.reason}").inc()
        raise DomainError(401, str(exc)) from None


def telegram_user(request: Request) -> dict[str, Any] | None:
    """The Telegram user a `tma` header proved, not yet resolved to an account."""
    user: dict[str, Any] | None = getattr(request.ctx, "telegram_user", None)
    return user


def grant(request: Request, identity: Identity) -> None:
    """Make `identity` the caller: how a `tma` user becomes the account it was resolved to."""
    request.ctx.identity = identity


def current_identity(request: Request) -> Identity:
    identity: Identity | None = getattr(request.ctx, "identity", None)
    if identity is None:
        auth_failures.labels("missing").inc()
        raise DomainError(401, "authentication required")
    return identity


def requires(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Require a valid token, and one of `roles` when given."""

    def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> Any:
            identity = current_identity(request)
            if roles and identity.role not in roles:
                raise DomainError(403, "this token's role may not do that")
            return await handler(request, *args, **kwargs)

        return guarded

    return decorator


def resolve_user_id(request: Request, requested: Any) -> int:
    """The user a request acts on: the caller's own id, or any id for service/admin tokens.

    A `user` token naming somebody else gets 403; an absent `user_id` means "myself".
    """
    identity = current_identity(request)
    if requested in (None, ""):
        if identity.user_id is None:
            raise DomainError(400, "user_id is required")
        return identity.user_id
    try:
        user_id = int(requested)
    except (TypeError, ValueError):
        raise DomainError(400, "user_id must be an integer") from None
    if isinstance(requested, bool) or not 0 < user_id <= MAX_USER_ID:
        raise DomainError(400, "user_id must be a positive integer")
    if not identity.may_act_for(user_id):
        raise DomainError(403, "you may only act on your own account")
    return user_id
