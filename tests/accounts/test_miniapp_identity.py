"""The real mini-app's identity: `Authorization: tma <initData>` and the `{success, data}` envelope.

The mini-app never signs in first: it sends its raw initData on every call. The account is
created on first sight, errors come in the envelope the client reads (`body.error`).
"""

import asyncio
import itertools
import time

import httpx

from tests.accounts.client import Api, init_data, tma, token_for

_ids = itertools.count(88_000_000 + int(time.time()) % 1_000_000 * 10)


def _user() -> dict:
    return {"id": next(_ids), "first_name": "Ann", "username": None, "language_code": "en"}


def test_tma_creates_the_account_once_and_reads_its_balance(api: Api) -> None:
    user = _user()

    async def first_sight() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=api.url, headers=tma(user)) as client:
            return await asyncio.gather(*(client.get("/api/tokens") for _ in range(8)))

    answers = asyncio.run(first_sight())
    assert {response.status_code for response in answers} == {200}
    assert {response.json()["data"]["token_balance"] for response in answers} == {1000}
    assert answers[0].json()["success"] is True
    found = httpx.get(
        api.url + "/api/users", params={"telegram_id": user["id"]}, headers=api.service
    )
    user_id = found.json()["data"]["user"]["id"]
    assert [entry["reason"] for entry in api.ledger(user_id)] == ["signup"]


def test_tma_acts_only_on_itself(api: Api) -> None:
    other_id, _ = api.create_user()
    response = httpx.get(
        api.url + "/api/tokens", params={"user_id": other_id}, headers=tma(_user())
    )
    assert response.status_code == 403
    assert response.json() == {"success": False, "error": "you may only act on your own account"}


def test_bad_tma_credentials_are_401_in_the_envelope(api: Api) -> None:
    user = _user()
    forged = init_data(user, bot_token="654321:another-bot")
    stale = init_data(user, auth_date=int(time.time()) - 2 * 86400)
    for header in (f"tma {forged}", f"tma {stale}", "tma user=1&hash=00", "Basic abc"):
        response = httpx.get(api.url + "/api/tokens", headers={"Authorization": header})
        assert response.status_code == 401, header
        body = response.json()
        assert body["success"] is False and body["error"], header
    missing = httpx.get(api.url + "/api/tokens")
    assert missing.status_code == 401
    assert missing.json() == {"success": False, "error": "authentication required"}


def test_the_scheme_is_case_insensitive_and_bearer_still_works(api: Api) -> None:
    user = _user()
    header = {"Authorization": f"TMA {init_data(user)}"}
    assert httpx.get(api.url + "/api/tokens", headers=header).status_code == 200
    user_id, token = api.create_user()
    by_jwt = httpx.get(api.url + "/api/tokens", headers=token)
    assert by_jwt.json() == {"success": True, "data": {"token_balance": api.balance(user_id)}}
    service = httpx.get(api.url + "/api/tokens", headers=token_for("svc", "service"))
    assert service.status_code == 400
    assert service.json() == {"success": False, "error": "user_id is required"}
