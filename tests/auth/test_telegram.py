"""Telegram Mini App initData verification, without a server (the route is tested in accounts)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from app.auth.telegram import InitDataError, sign, verify_init_data

BOT_TOKEN = "123456:unit-test-bot-token"
NOW = 1_800_000_000.0


def init_data(fields: dict[str, str], bot_token: str = BOT_TOKEN) -> str:
    return urlencode({**fields, "hash": sign(fields, bot_token)})


def fields(user: object = None, auth_date: float = NOW) -> dict[str, str]:
    user = {"id": 99, "first_name": "Ada"} if user is None else user
    return {"auth_date": str(int(auth_date)), "user": json.dumps(user), "query_id": "q"}


def test_signed_init_data_gives_the_user() -> None:
    user = verify_init_data(init_data(fields()), BOT_TOKEN, max_age=60, now=NOW + 10)
    assert user == {"id": 99, "first_name": "Ada"}


def reason(data: str, max_age: float = 60) -> str:
    with pytest.raises(InitDataError) as refused:
        verify_init_data(data, BOT_TOKEN, max_age=max_age, now=NOW + 10)
    return refused.value.reason


def test_another_bots_signature_is_refused() -> None:
    assert reason(init_data(fields(), bot_token="654321:another-bot")) == "bad_signature"


def test_a_changed_field_breaks_the_signature() -> None:
    data = init_data(fields()).replace("query_id=q", "query_id=r")
    assert reason(data) == "bad_signature"


def test_no_hash_is_refused() -> None:
    assert reason(urlencode(fields())) == "bad_signature"


def test_old_init_data_is_refused() -> None:
    assert reason(init_data(fields(auth_date=NOW - 3600))) == "expired"


@pytest.mark.parametrize("user", [["not", "an", "object"], {"first_name": "no id"}, {"id": "99"}])
def test_a_user_without_a_numeric_id_is_malformed(user: object) -> None:
    assert reason(init_data(fields(user=user))) == "malformed"


def test_missing_fields_and_broken_query_strings_are_malformed() -> None:
    assert reason(init_data({"user": json.dumps({"id": 1})})) == "malformed"
    assert reason("no-equals-sign") == "malformed"
