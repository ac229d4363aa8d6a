"""Seed 000's /api/users: create-or-update by Telegram id, look-ups, the selected model, all in
the `{success, data}` envelope with the mini-app's User object."""

from datetime import datetime

import httpx

from tests.accounts.client import Api, tma, token_for, unique_name

USER_KEYS = {
    "id",
    "telegram_id",
    "username",
    "first_name",
    "last_name",
    "language_code",
    "is_premium",
    "token_balance",
    "selected_model",
    "selected_voice",
    "selected_prompt_id",
    "created_at",
    "updated_at",
    "last_active",
}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_create_then_update_by_telegram_id(api: Api) -> None:
    telegram_id = 7_000_000_000 + int.from_bytes(unique_name("").encode()[:3], "big")
    body = {"telegram_id": str(telegram_id), "username": unique_name(), "first_name": "Ada"}
    created = httpx.post(api.url + "/api/users", json=body, headers=api.service)
    assert created.status_code == 200
    assert created.json()["success"] is True
    data = created.json()["data"]
    assert data["has_active_subscription"] is False and data["current_plan_name"] is None
    user = data["user"]
    assert set(user) == USER_KEYS
    assert user["telegram_id"] == str(telegram_id) and user["first_name"] == "Ada"
    assert user["token_balance"] == 1000  # DEFAULT_TOKEN_BALANCE
    assert user["selected_model"] == "gpt-realtime" and user["is_premium"] is False

    # The integer form is accepted too; an upsert refreshes the profile, never the balance.
    updated = httpx.post(
        api.url + "/api/users",
        json={**body, "telegram_id": telegram_id, "first_name": "Ada L.", "language_code": "en"},
        headers=api.service,
    ).json()["data"]["user"]
    assert updated["id"] == user["id"] and updated["first_name"] == "Ada L."
    assert updated["token_balance"] == 1000  # no second sign-up grant
    assert _time(updated["last_active"]) >= _time(user["last_active"])
    assert [e["reason"] for e in api.ledger(user["id"])] == ["signup"]

    by_telegram = httpx.get(
        api.url + "/api/users", params={"telegram_id": telegram_id}, headers=api.service
    )
    me = token_for(user["id"])
    by_id = httpx.get(api.url + "/api/users", params={"user_id": user["id"]}, headers=me)
    own_telegram = httpx.get(
        api.url + "/api/users", params={"telegram_id": telegram_id}, headers=me
    )
    both = httpx.get(
        api.url + "/api/users",
        params={"telegram_id": telegram_id, "user_id": user["id"]},
        headers=api.service,
    )
    assert by_telegram.json() == by_id.json() == own_telegram.json() == both.json()
    assert by_id.json()["data"]["user"]["language_code"] == "en"


def test_a_zero_balance_is_not_refilled_by_an_upsert(api: Api) -> None:
    user_id, _ = api.create_user(balance=0)
    telegram_id = httpx.get(
        api.url + "/api/users", params={"user_id": user_id}, headers=api.service
    ).json()["data"]["user"]["telegram_id"]
    again = httpx.post(
        api.url + "/api/users",
        json={"telegram_id": telegram_id, "first_name": "Again"},
        headers=api.service,
    )
    assert again.json()["data"]["user"]["token_balance"] == 0
    assert api.balance(user_id) == 0


def test_premium_comes_from_the_verified_init_data(api: Api) -> None:
    telegram_id = 6_100_000_000 + int.from_bytes(unique_name("").encode()[:3], "big")
    proven = {"id": telegram_id, "first_name": "Pia", "is_premium": True}
    posted = httpx.post(
        api.url + "/api/users",
        json={"telegram_id": str(telegram_id), "first_name": "Pia"},
        headers=tma(proven),
    )
    assert posted.json()["data"]["user"]["is_premium"] is True
    # A body cannot claim Premium, and a service upsert leaves it as Telegram said.
    service = httpx.post(
        api.url + "/api/users",
        json={"telegram_id": telegram_id, "first_name": "Pia", "is_premium": False},
        headers=api.service,
    )
    assert service.json()["data"]["user"]["is_premium"] is True


def test_selected_model_can_be_changed_by_its_owner(api: Api) -> None:
    user_id, me = api.create_user()
    response = httpx.patch(
        api.url + "/api/users",
        json={"user_id": user_id, "selected_model": "gpt-realtime-mini"},
        headers=me,
    )
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"selected_model": "gpt-realtime-mini"}}
    user = httpx.get(api.url + "/api/users", headers=me).json()["data"]["user"]
    assert user["selected_model"] == "gpt-realtime-mini"
    for bad in ("", "gpt-4o", " spaces ", 5, None, "x" * 65):
        refused = httpx.patch(
            api.url + "/api/users", json={"user_id": user_id, "selected_model": bad}, headers=me
        )
        assert refused.status_code == 400, bad
        assert refused.json()["success"] is False
        assert refused.json()["error"].startswith("Invalid request: "), bad
    missing = httpx.patch(
        api.url + "/api/users",
        json={"user_id": 987654321, "selected_model": "gpt-realtime"},
        headers=api.service,
    )
    assert missing.status_code == 404


def test_user_input_is_validated(api: Api) -> None:
    for body in (
        {},
        {"telegram_id": "12"},  # first_name is required
        {"telegram_id": "12", "first_name": ""},
        {"telegram_id": "12", "first_name": "   "},
        {"telegram_id": -1, "first_name": "A"},
        {"telegram_id": "-1", "first_name": "A"},
        {"telegram_id": "12a", "first_name": "A"},
        {"telegram_id": "1" * 30, "first_name": "A"},
        {"telegram_id": 2**63, "first_name": "A"},
        {"telegram_id": True, "first_name": "A"},
        {"telegram_id": 5, "first_name": 7},
        {"telegram_id": 5, "first_name": "A", "username": "x" * 65},
    ):
        response = httpx.post(api.url + "/api/users", json=body, headers=api.service)
        assert response.status_code == 400, body
        assert response.json()["error"].startswith("Invalid request: "), body
    for params in (
        {"telegram_id": "abc"},
        {"telegram_id": "9" * 25},
        {"user_id": "abc"},
        {"user_id": "-3"},
    ):
        response = httpx.get(api.url + "/api/users", params=params, headers=api.service)
        assert response.status_code == 400, params
        assert response.json()["success"] is False
    for params in ({"user_id": 99999999}, {"telegram_id": 99999999999}):
        missing = httpx.get(api.url + "/api/users", params=params, headers=api.service)
        assert missing.status_code == 404
        assert missing.json() == {"success": False, "error": "User not found"}


def test_users_routes_need_a_token(api: Api) -> None:
    for method in ("GET", "POST", "PATCH"):
        response = httpx.request(method, api.url + "/api/users", json={"telegram_id": 1})
        assert response.status_code == 401, method
        assert response.json() == {"success": False, "error": "authentication required"}
