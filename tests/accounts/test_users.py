"""Seed 000's /api/users: create-or-update by Telegram id, look-ups, the selected model."""

import httpx

from tests.accounts.client import Api, token_for, unique_name


def test_create_then_update_by_telegram_id(api: Api) -> None:
    telegram_id = 7_000_000_000 + int.from_bytes(unique_name("").encode()[:3], "big")
    body = {"telegram_id": telegram_id, "username": unique_name(), "first_name": "Ada"}
    created = httpx.post(api.url + "/api/users", json=body, headers=api.service)
    assert created.status_code == 200
    user = created.json()
    assert user["telegram_id"] == telegram_id and user["first_name"] == "Ada"
    assert user["balance"] == 1000  # DEFAULT_TOKEN_BALANCE
    assert user["selected_model"] == "gpt-realtime"
    assert set(user) >= {"id", "username", "last_name", "language_code", "created_at"}

    updated = httpx.post(
        api.url + "/api/users",
        json={**body, "first_name": "Ada L.", "language_code": "en"},
        headers=api.service,
    ).json()
    assert updated["id"] == user["id"] and updated["first_name"] == "Ada L."
    assert updated["balance"] == 1000  # no second sign-up grant
    assert [e["reason"] for e in api.ledger(user["id"])] == ["signup"]

    by_telegram = httpx.get(
        api.url + "/api/users", params={"telegram_id": telegram_id}, headers=api.service
    )
    me = token_for(user["id"])
    by_id = httpx.get(api.url + "/api/users", params={"user_id": user["id"]}, headers=me)
    own_telegram = httpx.get(
        api.url + "/api/users", params={"telegram_id": telegram_id}, headers=me
    )
    assert by_telegram.json() == by_id.json() == own_telegram.json()
    assert by_id.json()["language_code"] == "en"


def test_selected_model_can_be_changed_by_its_owner(api: Api) -> None:
    user_id, me = api.create_user()
    response = httpx.patch(
        api.url + "/api/users",
        json={"user_id": user_id, "selected_model": "gpt-realtime-mini"},
        headers=me,
    )
    assert response.status_code == 200
    assert response.json()["selected_model"] == "gpt-realtime-mini"
    for bad in ("", " spaces ", 5, None, "x" * 65):
        refused = httpx.patch(
            api.url + "/api/users", json={"user_id": user_id, "selected_model": bad}, headers=me
        )
        assert refused.status_code == 400, bad


def test_user_input_is_validated(api: Api) -> None:
    for body in (
        {},
        {"telegram_id": "12"},
        {"telegram_id": -1},
        {"telegram_id": 5, "first_name": 7},
        {"telegram_id": 5, "username": "x" * 65},
    ):
        response = httpx.post(api.url + "/api/users", json=body, headers=api.service)
        assert response.status_code == 400, body
    for params in ({"telegram_id": "abc"}, {"user_id": "abc"}, {"user_id": "-3"}):
        response = httpx.get(api.url + "/api/users", params=params, headers=api.service)
        assert response.status_code == 400, params
    missing = httpx.get(api.url + "/api/users", params={"user_id": 99999999}, headers=api.service)
    assert missing.status_code == 404


def test_users_routes_need_a_token(api: Api) -> None:
    for method in ("GET", "POST", "PATCH"):
        response = httpx.request(method, api.url + "/api/users", json={"telegram_id": 1})
        assert response.status_code == 401, method
        assert response.json()["error"] == "authentication required"
