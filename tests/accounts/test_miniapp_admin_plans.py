"""Seed 000's admin page: /api/admin/plans lists, creates, edits and deletes plans (admin only)."""

import itertools
import time

import httpx
import pytest

from tests.accounts.client import Api, tma, token_for, unique_name

URL = "/api/admin/plans"
_telegram_ids = itertools.count(66_000_000 + int(time.time()) % 1_000_000 * 10)


def _admin(api: Api, method: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, api.url + URL, headers=api.admin, **kwargs)  # type: ignore[arg-type]


def test_create_with_defaults_then_list_all_by_id(api: Api) -> None:
    name = unique_name("plan-")
    created = _admin(api, "POST", json={"name": name, "price": 0, "token_amount": 10})
    assert created.status_code == 200, created.text
    plan = created.json()["data"]["plan"]
    assert plan["name"] == name and plan["price"] == 0 and plan["token_amount"] == 10
    assert (plan["currency"], plan["features"], plan["is_active"]) == ("USD", [], False)
    assert (plan["level"], plan["duration_days"], plan["description"]) == (1, 30, None)
    listed = _admin(api, "GET").json()["data"]["plans"]
    assert [p["id"] for p in listed] == sorted(p["id"] for p in listed)
    assert plan in listed
    # Inactive: not on the public price list.
    public = httpx.get(api.url + "/api/plans").json()["data"]["plans"]
    assert plan["id"] not in [p["id"] for p in public]


def test_a_plan_without_a_level_takes_it_from_the_seeded_names(api: Api) -> None:
    duplicate = _admin(api, "POST", json={"name": "Про", "price": 1, "token_amount": 1})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"success": False, "error": "A plan with this name already exists"}
    assert api.create_plan()["level"] == 1
    assert api.create_plan(level=2)["level"] == 2
    # The name is free only while the seeded plan is renamed; it is put back whatever happens.
    seeded = next(p for p in _admin(api, "GET").json()["data"]["plans"] if p["name"] == "Про")
    _admin(api, "PUT", json={"plan_id": seeded["id"], "name": unique_name("pro-")})
    try:
        again = _admin(api, "POST", json={"name": "Про", "price": 1, "token_amount": 1})
        assert again.json()["data"]["plan"]["level"] == 3
        _admin(api, "DELETE", params={"plan_id": again.json()["data"]["plan"]["id"]})
    finally:
        restored = _admin(api, "PUT", json={"plan_id": seeded["id"], "name": "Про"})
    assert restored.json()["data"]["plan"] == seeded


def test_partial_update_by_plan_id_or_id(api: Api) -> None:
    plan = api.create_plan(features=["a", "b"], description="first")
    toggled = _admin(api, "PUT", json={"plan_id": plan["id"], "is_active": True})
    assert toggled.status_code == 200
    assert toggled.json()["data"]["plan"] == {**plan, "is_active": True}
    renamed = _admin(
        api,
        "PUT",
        json={"id": plan["id"], "name": plan["name"] + "-2", "price": 12.34, "level": 3},
    ).json()["data"]["plan"]
    assert renamed == {
        **plan,
        "is_active": True,
        "name": plan["name"] + "-2",
        "price": 12.34,
        "level": 3,
    }
    unchanged = _admin(api, "PUT", json={"plan_id": plan["id"]}).json()["data"]["plan"]
    assert unchanged == renamed
    other = api.create_plan()
    clash = _admin(api, "PUT", json={"plan_id": other["id"], "name": renamed["name"]})
    assert clash.status_code == 409
    for body, status, error in (
        ({"is_active": True}, 400, "plan_id is required"),
        ({"plan_id": 987654321, "is_active": True}, 404, "Plan not found"),
        ({"plan_id": 987654321}, 404, "Plan not found"),
        ({"plan_id": plan["id"], "price": -1}, 400, "Invalid request: price"),
        ({"plan_id": plan["id"], "level": 4}, 400, "Invalid request: level"),
        ({"plan_id": plan["id"], "token_amount": 0}, 400, "Invalid request: token_amount"),
        ({"plan_id": plan["id"], "features": "a"}, 400, "Invalid request: features"),
        ({"plan_id": "x"}, 400, "Invalid request: plan_id"),
    ):
        response = _admin(api, "PUT", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"].startswith(error), (body, response.text)


@pytest.mark.parametrize(
    "body",
    [
        {"price": 1, "token_amount": 1},
        {"name": "", "price": 1, "token_amount": 1},
        {"name": "x" * 65, "price": 1, "token_amount": 1},
        {"name": "n", "token_amount": 1},
        {"name": "n", "price": -0.01, "token_amount": 1},
        {"name": "n", "price": "1", "token_amount": 1},
        {"name": "n", "price": 1e300, "token_amount": 1},
        {"name": "n", "price": 1},
        {"name": "n", "price": 1, "token_amount": 0},
        {"name": "n", "price": 1, "token_amount": 10**13},
        {"name": "n", "price": 1, "token_amount": 1, "currency": "usd"},
        {"name": "n", "price": 1, "token_amount": 1, "features": [1]},
        {"name": "n", "price": 1, "token_amount": 1, "features": ["x"] * 51},
        {"name": "n", "price": 1, "token_amount": 1, "is_active": "yes"},
        {"name": "n", "price": 1, "token_amount": 1, "level": 0},
    ],
)
def test_bad_plans_are_invalid_requests(api: Api, body: dict) -> None:
    response = _admin(api, "POST", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False
    assert response.json()["error"].startswith("Invalid request: ")


def test_delete(api: Api) -> None:
    plan = api.create_plan()
    deleted = _admin(api, "DELETE", params={"plan_id": plan["id"]})
    assert deleted.json() == {"success": True, "data": None, "message": "Plan successfully deleted"}
    again = _admin(api, "DELETE", params={"id": plan["id"]})
    assert again.status_code == 404
    assert again.json() == {"success": False, "error": "Plan not found"}
    missing = _admin(api, "DELETE")
    assert missing.status_code == 400
    assert missing.json() == {"success": False, "error": "plan_id parameter is required"}
    for bad in ("x", "-1", "99999999999999999999999"):
        assert _admin(api, "DELETE", params={"plan_id": bad}).status_code == 400, bad

    subscribed = api.create_plan(is_active=True)
    user_id, _ = api.create_user()
    httpx.post(
        api.url + "/api/user-plans",
        json={"user_id": user_id, "plan_id": subscribed["id"]},
        headers=api.service,
    )
    refused = _admin(api, "DELETE", params={"plan_id": subscribed["id"]})
    assert refused.status_code == 409
    assert refused.json()["success"] is False
    assert subscribed["id"] in [p["id"] for p in _admin(api, "GET").json()["data"]["plans"]]


def test_admin_routes_are_for_admin_tokens_only(api: Api) -> None:
    plan = api.create_plan()
    user_id, me = api.create_user()
    mini_app = tma({"id": next(_telegram_ids), "first_name": "Eve"})
    for headers in (me, mini_app, api.service, token_for("visitor", "anon")):
        for method, kwargs in (
            ("GET", {}),
            ("POST", {"json": {"name": unique_name(), "price": 1, "token_amount": 1}}),
            ("PUT", {"json": {"plan_id": plan["id"], "is_active": True}}),
            ("DELETE", {"params": {"plan_id": plan["id"]}}),
        ):
            response = httpx.request(method, api.url + URL, headers=headers, **kwargs)
            assert response.status_code == 403, (method, response.text)
            assert response.json() == {
                "success": False,
                "error": "this token's role may not do that",
            }
        assert httpx.get(api.url + URL).status_code == 401
    assert _admin(api, "PUT", json={"plan_id": plan["id"]}).json()["data"]["plan"] == plan
