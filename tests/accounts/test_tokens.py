"""Balances, spends, top-ups and the ledger, on SQLite and on PostgreSQL with 2 workers."""

import httpx
import pytest

from tests.accounts.client import Api, token_for


def test_spend_and_top_up_move_balance_and_ledger_together(api: Api) -> None:
    user_id, me = api.create_user()
    start = api.balance(user_id)
    spent = httpx.patch(
        api.url + "/api/tokens",
        json={"user_id": user_id, "amount": 40, "details": {"model": "gpt-realtime", "in": 3}},
        headers=me,
    )
    assert spent.status_code == 200
    assert spent.json() == {"user_id": user_id, "balance": start - 40}
    topped = httpx.put(
        api.url + "/api/tokens", json={"user_id": user_id, "amount": 15}, headers=api.admin
    )
    assert topped.json() == {"user_id": user_id, "balance": start - 25}

    mine = httpx.get(api.url + "/api/tokens", headers=me)  # no user_id: myself
    assert mine.json() == {"success": True, "data": {"token_balance": start - 25}}
    entries = api.ledger(user_id)
    assert [(e["reason"], e["delta"]) for e in entries] == [
        ("topup", 15),
        ("spend", -40),
        ("signup", start),
    ]
    assert entries[1]["details"] == {"model": "gpt-realtime", "in": 3}
    assert entries[0]["balance_after"] == start - 25
    assert sum(e["delta"] for e in entries) == api.balance(user_id)


def test_overspend_is_402_with_the_balance_and_changes_nothing(api: Api) -> None:
    user_id, me = api.create_user(balance=30)
    response = httpx.patch(
        api.url + "/api/tokens", json={"user_id": user_id, "amount": 31}, headers=me
    )
    assert response.status_code == 402
    assert response.json() == {"error": "insufficient tokens", "balance": 30}
    assert api.balance(user_id) == 30
    exact = httpx.patch(
        api.url + "/api/tokens", json={"user_id": user_id, "amount": 30}, headers=me
    )
    assert exact.json()["balance"] == 0


@pytest.mark.parametrize("amount", [0, -5, "10", 1.5, True, None, 10**13])
def test_amounts_must_be_positive_integers(api: Api, amount: object) -> None:
    user_id, me = api.create_user()
    for method, headers in (("PATCH", me), ("PUT", api.service)):
        response = httpx.request(
            method,
            api.url + "/api/tokens",
            json={"user_id": user_id, "amount": amount},
            headers=headers,
        )
        assert response.status_code == 400, (method, amount, response.text)
        assert "amount" in response.json()["error"]


def test_bad_bodies_are_400_json(api: Api) -> None:
    _, me = api.create_user()
    for content in (b"{not json", b"[1, 2]", b'"text"'):
        response = httpx.patch(
            api.url + "/api/tokens",
            content=content,
            headers={**me, "Content-Type": "application/json"},
        )
        assert response.status_code == 400, content
        assert response.json()["error"]


def test_top_up_is_for_service_and_admin_only(api: Api) -> None:
    user_id, me = api.create_user()
    before = api.balance(user_id)
    response = httpx.put(
        api.url + "/api/tokens", json={"user_id": user_id, "amount": 5}, headers=me
    )
    assert response.status_code == 403
    anon = httpx.put(
        api.url + "/api/tokens",
        json={"user_id": user_id, "amount": 5},
        headers=token_for("visitor", "anon"),
    )
    assert anon.status_code == 403
    assert api.balance(user_id) == before


def test_unknown_user_is_404_for_service_tokens(api: Api) -> None:
    for method, path, kwargs in (
        ("GET", "/api/tokens", {"params": {"user_id": 987654321}}),
        ("GET", "/api/tokens/history", {"params": {"user_id": 987654321}}),
        ("PATCH", "/api/tokens", {"json": {"user_id": 987654321, "amount": 1}}),
        ("PUT", "/api/tokens", {"json": {"user_id": 987654321, "amount": 1}}),
    ):
        response = httpx.request(method, api.url + path, headers=api.service, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"] == "user not found"


def test_idempotency_key_replays_the_first_answer(api: Api) -> None:
    user_id, me = api.create_user(balance=100)
    body = {"user_id": user_id, "amount": 30, "details": {"call": "abc"}}
    headers = {**me, "Idempotency-Key": "spend-abc"}
    first = httpx.patch(api.url + "/api/tokens", json=body, headers=headers)
    replay = httpx.patch(api.url + "/api/tokens", json=body, headers=headers)
    assert first.status_code == replay.status_code == 200
    assert first.json() == replay.json() == {"user_id": user_id, "balance": 70}
    assert "idempotent-replayed" not in first.headers
    assert replay.headers["idempotent-replayed"] == "true"
    assert api.balance(user_id) == 70
    keyed = [e for e in api.ledger(user_id) if e["idempotency_key"] == "spend-abc"]
    assert [(e["reason"], e["delta"]) for e in keyed] == [("spend", -30)]

    reused = httpx.patch(api.url + "/api/tokens", json={**body, "amount": 31}, headers=headers)
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["error"]

    # A top-up replay (a webhook delivered twice) credits once.
    credit = {"user_id": user_id, "amount": 500}
    webhook = {**api.service, "Idempotency-Key": "payment-77"}
    for _ in range(2):
        response = httpx.put(api.url + "/api/tokens", json=credit, headers=webhook)
        assert response.json() == {"user_id": user_id, "balance": 570}
    assert api.balance(user_id) == 570


def test_a_refused_spend_is_replayed_as_refused(api: Api) -> None:
    user_id, me = api.create_user(balance=10)
    headers = {**me, "Idempotency-Key": "too-much"}
    body = {"user_id": user_id, "amount": 11}
    first = httpx.patch(api.url + "/api/tokens", json=body, headers=headers)
    api.set_balance(user_id, 10, 50)
    replay = httpx.patch(api.url + "/api/tokens", json=body, headers=headers)
    assert first.status_code == replay.status_code == 402
    assert replay.json() == {"error": "insufficient tokens", "balance": 10}
    assert api.balance(user_id) == 50


def test_history_limit_and_validation(api: Api) -> None:
    user_id, me = api.create_user(balance=100)
    for _ in range(3):
        httpx.patch(api.url + "/api/tokens", json={"user_id": user_id, "amount": 1}, headers=me)
    two = httpx.get(api.url + "/api/tokens/history", params={"limit": 2}, headers=me)
    assert [e["balance_after"] for e in two.json()] == [97, 98]
    for bad in ("0", "-1", "x"):
        response = httpx.get(api.url + "/api/tokens/history", params={"limit": bad}, headers=me)
        assert response.status_code == 400


def test_metrics_count_spent_and_credited_tokens(api: Api) -> None:
    user_id, me = api.create_user(balance=100)
    spent_before = api.metric("voxhub_tokens_spent_total")
    credited_before = api.metric("voxhub_tokens_credited_total", '{reason="topup"}')
    httpx.patch(api.url + "/api/tokens", json={"user_id": user_id, "amount": 7}, headers=me)
    httpx.put(api.url + "/api/tokens", json={"user_id": user_id, "amount": 9}, headers=api.service)
    assert api.metric("voxhub_tokens_spent_total") == spent_before + 7
    assert api.metric("voxhub_tokens_credited_total", '{reason="topup"}') == credited_before + 9
