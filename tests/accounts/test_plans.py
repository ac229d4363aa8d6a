"""Plans (public price list, seeded by the migration) and subscriptions with their tokens."""

import httpx

from tests.accounts.client import Api


def _plans(api: Api) -> list[dict]:
    response = httpx.get(api.url + "/api/plans")  # no token: a public price list
    assert response.status_code == 200
    return response.json()


def test_plans_are_seeded_and_public(api: Api) -> None:
    plans = _plans(api)
    assert [plan["name"] for plan in plans] == ["Базовый", "Премиум", "Про"]
    starter = plans[0]
    assert starter["price"] == 4.99 and starter["currency"] == "USD"
    assert starter["tokens"] > 0 and starter["duration_days"] == 30


def test_subscription_credits_the_plans_tokens_once(api: Api) -> None:
    plan = _plans(api)[1]
    user_id, me = api.create_user()
    before = api.balance(user_id)
    credited_before = api.metric("voxhub_tokens_credited_total", '{reason="plan"}')
    webhook = {**api.service, "Idempotency-Key": f"charge-{user_id}"}
    body = {"user_id": user_id, "plan_id": plan["id"]}
    first = httpx.post(api.url + "/api/user-plans", json=body, headers=webhook)
    replay = httpx.post(api.url + "/api/user-plans", json=body, headers=webhook)
    assert first.status_code == replay.status_code == 201
    assert first.json() == replay.json()
    subscription = first.json()
    assert subscription["balance"] == before + plan["tokens"]
    assert subscription["plan_name"] == plan["name"] and subscription["is_active"] is True
    assert subscription["end_date"] > subscription["start_date"]
    assert api.balance(user_id) == before + plan["tokens"]
    assert api.metric("voxhub_tokens_credited_total", '{reason="plan"}') == (
        credited_before + plan["tokens"]
    )

    listed = httpx.get(api.url + "/api/user-plans", params={"user_id": user_id}, headers=me)
    assert listed.status_code == 200
    assert [(s["id"], s["plan_id"]) for s in listed.json()] == [(subscription["id"], plan["id"])]
    entry = api.ledger(user_id)[0]
    assert entry["reason"] == "plan" and entry["delta"] == plan["tokens"]
    assert entry["details"] == {"plan_id": plan["id"], "plan_name": plan["name"]}


def test_subscribing_is_for_service_and_admin_only(api: Api) -> None:
    user_id, me = api.create_user()
    own = httpx.post(
        api.url + "/api/user-plans", json={"user_id": user_id, "plan_id": 1}, headers=me
    )
    assert own.status_code == 403
    assert (
        httpx.get(api.url + "/api/user-plans", params={"user_id": user_id}, headers=me).json() == []
    )


def test_subscription_errors(api: Api) -> None:
    user_id, _ = api.create_user()
    for body, status in (
        ({"user_id": user_id, "plan_id": 424242}, 404),
        ({"user_id": user_id, "plan_id": "1"}, 400),
        ({"user_id": user_id}, 400),
        ({"user_id": 99999999, "plan_id": 1}, 404),
    ):
        response = httpx.post(api.url + "/api/user-plans", json=body, headers=api.admin)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]
