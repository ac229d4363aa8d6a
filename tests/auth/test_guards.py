"""The request middleware and the guards, without a server: who is calling, and on whose behalf."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest

from app.auth import Role, issue_token
from app.auth.guards import (
    TelegramCheck,
    authenticator,
    current_identity,
    requires,
    resolve_user_id,
    telegram_user,
)
from app.auth.identity import MAX_USER_ID, Identity
from app.auth.telegram import sign
from app.db.sql import MAX_ID
from app.errors import DomainError

SECRET = "unit-test-secret-0123456789-abcdefgh"
BOT = "42:unit-test-bot"


def request(authorization: str | None = None, identity: Identity | None = None) -> Any:
    """What the guards read of a Sanic request: its headers and its ctx."""
    headers = {} if authorization is None else {"authorization": authorization}
    return SimpleNamespace(headers=headers, ctx=SimpleNamespace(identity=identity))


async def test_no_header_means_no_identity() -> None:
    incoming = request()
    await authenticator(SECRET)(incoming)
    assert incoming.ctx.identity is None


async def test_a_valid_bearer_token_sets_the_identity() -> None:
    incoming = request(f"Bearer {issue_token(SECRET, '42', Role.USER, ttl=60)}")
    await authenticator(SECRET)(incoming)
    assert incoming.ctx.identity == Identity("42", Role.USER)
    assert current_identity(incoming).user_id == 42


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer   ", "token"])
async def test_a_malformed_header_is_401(header: str) -> None:
    with pytest.raises(DomainError) as refused:
        await authenticator(SECRET)(request(header))
    assert refused.value.status == 401
    assert refused.value.message == "expected 'Authorization: Bearer <token>' or 'tma <initData>'"


async def test_a_token_signed_with_another_secret_is_401() -> None:
    token = issue_token("another-secret-0123456789-abcdefgh", "1", Role.USER, ttl=60)
    with pytest.raises(DomainError) as refused:
        await authenticator(SECRET)(request(f"Bearer {token}"))
    assert refused.value.status == 401


def test_no_identity_is_authentication_required() -> None:
    with pytest.raises(DomainError) as refused:
        current_identity(request())
    assert (refused.value.status, refused.value.message) == (401, "authentication required")


async def test_requires_checks_the_role() -> None:
    @requires(Role.ADMIN, Role.SERVICE)
    async def handler(_: Any) -> str:
        return "done"

    assert await handler(request(identity=Identity("svc", Role.SERVICE))) == "done"
    with pytest.raises(DomainError) as refused:
        await handler(request(identity=Identity("7", Role.USER)))
    assert refused.value.status == 403
    with pytest.raises(DomainError) as refused:
        await handler(request())
    assert refused.value.status == 401


def test_resolve_user_id_defaults_to_the_caller_and_guards_others() -> None:
    user = request(identity=Identity("7", Role.USER))
    assert resolve_user_id(user, None) == 7
    assert resolve_user_id(user, "") == 7
    assert resolve_user_id(user, "7") == 7
    with pytest.raises(DomainError) as refused:
        resolve_user_id(user, 8)
    assert (refused.value.status, refused.value.message) == (
        403,
        "you may only act on your own account",
    )
    assert resolve_user_id(request(identity=Identity("svc", Role.SERVICE)), "8") == 8
    with pytest.raises(DomainError) as refused:
        resolve_user_id(request(identity=Identity("svc", Role.SERVICE)), None)
    assert (refused.value.status, refused.value.message) == (400, "user_id is required")


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        ("seven", "user_id must be an integer"),
        ("7.5", "user_id must be an integer"),
        (True, "user_id must be a positive integer"),
        (0, "user_id must be a positive integer"),
        (-3, "user_id must be a positive integer"),
        (MAX_USER_ID + 1, "user_id must be a positive integer"),
    ],
)
def test_resolve_user_id_refuses_what_names_no_account(requested: object, message: str) -> None:
    admin = request(identity=Identity("root", Role.ADMIN))
    with pytest.raises(DomainError) as refused:
        resolve_user_id(admin, requested)
    assert (refused.value.status, refused.value.message) == (400, message)
    assert resolve_user_id(admin, MAX_USER_ID) == MAX_USER_ID


def test_the_user_id_bound_is_the_database_id_bound() -> None:
    assert MAX_USER_ID == MAX_ID


async def test_tma_init_data_is_verified_and_left_for_the_accounts_domain() -> None:
    user = {"id": 7, "first_name": "Ann"}
    fields = {"user": json.dumps(user), "auth_date": str(int(time.time()))}
    fields["hash"] = sign(fields, BOT)
    incoming = request(f"tma {urlencode(fields)}")
    await authenticator(SECRET, TelegramCheck(BOT, 60))(incoming)
    assert telegram_user(incoming) == user
    assert incoming.ctx.identity is None


async def test_tma_without_a_configured_bot_is_401() -> None:
    with pytest.raises(DomainError) as refused:
        await authenticator(SECRET)(request("tma user=1&hash=0"))
    assert refused.value.status == 401
