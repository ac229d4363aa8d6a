"""Telegram Mini App login: initData signed exactly as Telegram signs it."""

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.accounts.client import Api, bearer, init_data
from tests.fixtures.voxhub_server import TEST_BOT_TOKEN as BOT_TOKEN
from tests.fixtures.voxhub_server import VoxhubServer


@pytest.fixture(scope="module")
def telegram_api() -> Iterator[Api]:
    server = VoxhubServer(REDIS_URL="memory://", TELEGRAM_BOT_TOKEN=BOT_TOKEN)
    server.start()
    yield Api(server)
    server.stop()


def _login(api: Api, data: str) -> httpx.Response:
    return httpx.post(api.url + "/api/auth/telegram", json={"init_data": data})


def test_valid_init_data_creates_then_finds_the_user(telegram_api: Api) -> None:
    user = {"id": 99_000_001, "first_name": "Ivan", "username": "ivan_tg", "language_code": "ru"}
    first = _login(telegram_api, init_data(user))
    assert first.status_code == 200, first.text
    account = first.json()["user"]
    assert account["telegram_id"] == 99_000_001 and account["first_name"] == "Ivan"
    assert account["balance"] == 1000

    renamed = _login(telegram_api, init_data({**user, "first_name": "Ivan P."}))
    assert renamed.json()["user"]["id"] == account["id"]
    assert renamed.json()["user"]["first_name"] == "Ivan P."
    token = bearer(renamed.json()["access_token"])
    mine = httpx.get(
        telegram_api.url + "/api/users", params={"telegram_id": 99_000_001}, headers=token
    )
    assert mine.json()["data"]["user"]["id"] == account["id"]
    assert [e["reason"] for e in telegram_api.ledger(account["id"])] == ["signup"]


def test_tampered_init_data_is_401(telegram_api: Api) -> None:
    genuine = init_data({"id": 99_000_002, "first_name": "Olga"})
    tampered = genuine.replace("99000002", "99000003")
    assert tampered != genuine
    for data in (tampered, init_data({"id": 99_000_002}, bot_token="654321:another-bot")):
        response = _login(telegram_api, data)
        assert response.status_code == 401
        assert response.json() == {"error": "init_data signature is invalid"}


def test_stale_init_data_is_401(telegram_api: Api) -> None:
    two_days_ago = int(time.time()) - 2 * 86400
    response = _login(telegram_api, init_data({"id": 99_000_004}, auth_date=two_days_ago))
    assert response.status_code == 401
    assert "too old" in response.json()["error"]


@pytest.mark.parametrize("data", ["", "no-equals-sign", "hash=abc", None, 5])
def test_malformed_init_data_is_refused(telegram_api: Api, data: object) -> None:
    response = _login(telegram_api, data)  # type: ignore[arg-type]
    assert response.status_code in (400, 401)
    assert response.json()["error"]


def test_telegram_login_without_a_bot_token_is_503() -> None:
    server = VoxhubServer(REDIS_URL="memory://", TELEGRAM_BOT_TOKEN="")
    server.start()
    try:
        response = _login(Api(server), init_data({"id": 1}))
        assert response.status_code == 503
    finally:
        server.stop()


async def test_accounts_racing_for_one_username_all_log_in(telegram_api: Api) -> None:
    """Ten Telegram accounts with the same display username log in at once: none fails."""

    users = [
        {"id": 99_100_000 + n, "first_name": "Twin", "username": "twin_name"} for n in range(10)
    ]
    async with httpx.AsyncClient(base_url=telegram_api.url, timeout=30) as client:
        answers = await asyncio.gather(
            *(client.post("/api/auth/telegram", json={"init_data": init_data(u)}) for u in users)
        )
    assert [answer.status_code for answer in answers] == [200] * 10, [a.text for a in answers]
    named = [a.json()["user"] for a in answers if a.json()["user"]["username"] == "twin_name"]
    assert len(named) == 1
