"""Plans (public price list, seeded by the migrations), subscriptions with their tokens, and
the current plan with its expiry on read (seed 000's §5)."""

import httpx
import pytest

from tests.accounts.client import Api, usage

PLAN_KEYS = {
    "id",
    "name",
    "description",
    "price",
    "currency",
    "token_amount",
    "features",
    "is_active",
    "created_at",
    "level",
    "duration_days",
}
USER_PLAN_KEYS = {
    "id",
    "plan_name",
    "token_amount",
    "tokens_used",
    "tokens_remaining",
    "start_date",
    "end_date",
    "status",
    "features",
}


@pytest.fixture
def admin_plan(api: Api) -> dict:
    """A small active plan of its own: 500 tokens, quickly used up."""
    return api.create_plan(is_active=True)


def _plans(api: Api) -> list[dict]:
    response = httpx.get(api.url + "/api/plans")  # no token: a public price list
    assert response.status_code == 200
    assert response.json()["success"] is True
    return response.json()["data"]["plans"]


def _seeded(api: Api, name: str) -> dict:
    return next(plan for plan in _plans(api) if plan["name"] == name)


def _subscribe(api: Api, user_id: int, plan_id: int, **headers: str) -> httpx.Response:
    return httpx.post(
        api.url + "/api/user-plans",
        json={"user_id": user_id, "plan_id": plan_id, "payment_id": f"pay-{user_id}"},
        headers={**api.service, **headers},
    )


def _current(api: Api, headers: dict[str, str]) -> dict:
    response = httpx.get(api.url + "/api/user-current-plan", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    # The data's keys are copied at the top level, as the original answered flat.
    assert (
        body["success"] is True and {**body["data"], "success": True, "data": body["data"]} == body
    )
    return body["data"]


def test_plans_are_seeded_public_and_cheapest_first(api: Api) -> None:
    plans = _plans(api)
    seeded = [plan for plan in plans if plan["name"] in ("Базовый", "Премиум", "Про")]
    assert [(plan["name"], plan["level"]) for plan in seeded] == [
        ("Базовый", 1),
        ("Премиум", 2),
        ("Про", 3),
    ]
    assert [plan["price"] for plan in plans] == sorted(plan["price"] for plan in plans)
    assert all(plan["is_active"] for plan in plans)
    basic = seeded[0]
    assert set(basic) == PLAN_KEYS
    assert basic["price"] == 4.99 and basic["currency"] == "USD"
    assert basic["token_amount"] > 0 and basic["duration_days"] == 30
    assert basic["features"] and all(isinstance(feature, str) for feature in basic["features"])


def test_subscription_credits_the_plans_tokens_once(api: Api) -> None:
    plan = _seeded(api, "Премиум")
    user_id, me = api.create_user()
    before = api.balance(user_id)
    credited_before = api.metric("voxhub_tokens_credited_total", '{reason="plan"}')
    key = f"charge-{user_id}"
    first = _subscribe(api, user_id, plan["id"], **{"Idempotency-Key": key})
    replay = _subscribe(api, user_id, plan["id"], **{"Idempotency-Key": key})
    assert first.status_code == replay.status_code == 200
    assert first.json() == replay.json()
    assert replay.headers["idempotent-replayed"] == "true"
    data = first.json()["data"]
    new_balance = before + plan["token_amount"]
    assert data["new_token_balance"] == new_balance
    assert data["message"] == f"Subscription activated. Token balance set to {new_balance}"
    assert api.balance(user_id) == new_balance
    assert api.metric("voxhub_tokens_credited_total", '{reason="plan"}') == (
        credited_before + plan["token_amount"]
    )

    listed = httpx.get(api.url + "/api/user-plans", params={"user_id": user_id}, headers=me)
    assert listed.status_code == 200
    plans = listed.json()["data"]
    assert plans["closed_plans"] == []
    (active,) = plans["active_plans"]
    assert set(active) == USER_PLAN_KEYS
    assert active["id"] == data["subscription_id"] and active["plan_name"] == "Премиум"
    assert active["status"] == "active" and active["features"] == plan["features"]
    assert (active["token_amount"], active["tokens_used"]) == (plan["token_amount"], 0)
    assert active["end_date"] > active["start_date"]
    entry = api.ledger(user_id)[0]
    assert entry["reason"] == "plan" and entry["delta"] == plan["token_amount"]
    assert entry["details"] == {
        "plan_id": plan["id"],
        "plan_name": "Премиум",
        "payment_id": f"pay-{user_id}",
    }

    user = httpx.get(api.url + "/api/users", headers=me).json()["data"]
    assert user["has_active_subscription"] is True and user["current_plan_name"] == "Премиум"


def test_a_new_plan_cancels_the_active_one_and_spends_count_against_it(api: Api) -> None:
    basic, pro = _seeded(api, "Базовый"), _seeded(api, "Про")
    user_id, me = api.create_user()
    first = _subscribe(api, user_id, basic["id"]).json()["data"]
    httpx.patch(api.url + "/api/tokens", json={"usage": usage(1200)}, headers=me)
    second = _subscribe(api, user_id, pro["id"]).json()["data"]
    httpx.patch(api.url + "/api/tokens", json={"usage": usage(300)}, headers=me)
    plans = httpx.get(api.url + "/api/user-plans", headers=me).json()["data"]
    (active,) = plans["active_plans"]
    (closed,) = plans["closed_plans"]
    assert (active["id"], active["tokens_used"]) == (second["subscription_id"], 300)
    assert active["tokens_remaining"] == pro["token_amount"] - 300
    assert (closed["id"], closed["status"]) == (first["subscription_id"], "cancelled")
    assert closed["tokens_used"] == 1200
    current = _current(api, me)
    assert current["current_plan_name"] == "Про" and current["plan_level"] == 3
    assert current["subscription_id"] == second["subscription_id"]
    assert (current["tokens_used_in_plan"], current["tokens_remaining_in_plan"]) == (
        300,
        pro["token_amount"] - 300,
    )
    assert current["plan_token_amount"] == pro["token_amount"]
    assert current["features"] == pro["features"]
    assert current["token_balance"] == api.balance(user_id)
    assert current["start_date"] == active["start_date"]
    assert current["end_date"] == active["end_date"]


def test_no_plan_is_the_free_plan(api: Api) -> None:
    user_id, me = api.create_user()
    assert _current(api, me) == {
        "has_active_subscription": False,
        "current_plan_name": "Бесплатный план",
        "plan_level": 1,
        "token_balance": api.balance(user_id),
    }
    missing = httpx.get(
        api.url + "/api/user-current-plan", params={"user_id": 987654321}, headers=api.service
    )
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "error": "user not found"}


def test_a_used_up_plan_expires_on_read_once(api: Api, admin_plan: dict) -> None:
    user_id, me = api.create_user(balance=0)
    _subscribe(api, user_id, admin_plan["id"])
    spent = httpx.patch(
        api.url + "/api/tokens",
        json={"usage": usage(admin_plan["token_amount"])},
        headers=me,
    )
    assert spent.json()["data"]["new_balance"] == 0
    expired = _current(api, me)
    assert expired == {
        "has_active_subscription": False,
        "current_plan_name": "Бесплатный план",
        "plan_level": 1,
        "token_balance": 0,
        "plan_expired": True,
    }
    assert "plan_expired" not in _current(api, me)
    plans = httpx.get(api.url + "/api/user-plans", headers=me).json()["data"]
    assert plans["active_plans"] == []
    assert [(p["status"], p["tokens_remaining"]) for p in plans["closed_plans"]] == [("expired", 0)]
    user = httpx.get(api.url + "/api/users", headers=me).json()["data"]
    assert user["has_active_subscription"] is False and user["current_plan_name"] is None


def test_subscribing_is_for_service_and_admin_only(api: Api) -> None:
    user_id, me = api.create_user()
    plan_id = _plans(api)[0]["id"]
    own = httpx.post(
        api.url + "/api/user-plans", json={"user_id": user_id, "plan_id": plan_id}, headers=me
    )
    assert own.status_code == 403
    assert own.json() == {"success": False, "error": "this token's role may not do that"}
    listed = httpx.get(api.url + "/api/user-plans", params={"user_id": user_id}, headers=me)
    assert listed.json() == {"success": True, "data": {"active_plans": [], "closed_plans": []}}


def test_subscription_errors(api: Api, admin_plan: dict) -> None:
    user_id, _ = api.create_user()
    inactive = httpx.put(
        api.url + "/api/admin/plans",
        json={"plan_id": admin_plan["id"], "is_active": False},
        headers=api.admin,
    )
    assert inactive.json()["data"]["plan"]["is_active"] is False
    for body, status, error in (
        ({"user_id": user_id, "plan_id": 424242}, 404, "Plan not found"),
        ({"user_id": user_id, "plan_id": admin_plan["id"]}, 404, "Plan not found"),
        ({"user_id": user_id, "plan_id": "1"}, 400, "Invalid request: plan_id"),
        ({"user_id": user_id}, 400, "Invalid request: plan_id is required"),
        ({"user_id": user_id, "plan_id": 1, "payment_id": 5}, 400, "Invalid request: payment_id"),
        ({"plan_id": 1}, 400, "user_id is required"),
        ({"user_id": 99999999, "plan_id": _plans(api)[0]["id"]}, 404, "user not found"),
    ):
        response = httpx.post(api.url + "/api/user-plans", json=body, headers=api.admin)
        assert response.status_code == status, (body, response.text)
        assert response.json()["success"] is False
        assert response.json()["error"].startswith(error), (body, response.text)
    assert httpx.get(
        api.url + "/api/user-plans", params={"user_id": user_id}, headers=api.service
    ).json()["data"] == {"active_plans": [], "closed_plans": []}
