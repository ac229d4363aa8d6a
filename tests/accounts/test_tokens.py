"""Balances, Realtime usage spends, top-ups and the ledger (seed 000's §4), on SQLite and on
PostgreSQL with 2 workers, in the `{success, data}` envelope."""

from typing import Any

import httpx
import pytest

from tests.accounts.client import Api, token_for, usage

REALTIME_USAGE = {
    "total_tokens": 1456,
    "input_tokens": 1123,
    "output_tokens": 333,
    "input_token_details": {
        "text_tokens": 901,
        "audio_tokens": 190,
        "image_tokens": 0,
        "cached_tokens": 32,
        "cached_tokens_details": {"text_tokens": 32, "audio_tokens": 0, "image_tokens": 0},
    },
    "output_token_details": {"text_tokens": 88, "audio_tokens": 245},
}
BREAKDOWN = {
    "input": {"total": 1123, "text": 901, "audio": 190, "image": 0, "cached": 32},
    "output": {"total": 333, "text": 88, "audio": 245, "image": 0, "cached": 0},
    "total": 1456,
}


def _spend(api: Api, headers: dict[str, str], **body: Any) -> httpx.Response:
    return httpx.patch(api.url + "/api/tokens", json=body, headers=headers)


def test_spend_and_top_up_move_balance_and_ledger_together(api: Api) -> None:
    user_id, me = api.create_user(balance=5000)
    spent = _spend(api, me, user_id=user_id, session_id="sess_1", usage=REALTIME_USAGE)
    assert spent.status_code == 200
    assert spent.json() == {
        "success": True,
        "data": {"tokens_used": 1456, "new_balance": 5000 - 1456, "usage_breakdown": BREAKDOWN},
    }
    topped = httpx.put(
        api.url + "/api/tokens", json={"user_id": user_id, "tokens_to_add": 15}, headers=api.admin
    )
    assert topped.json() == {
        "success": True,
        "data": {"tokens_added": 15, "new_balance": 5000 - 1456 + 15},
    }
    mine = httpx.get(api.url + "/api/tokens", headers=me)  # no user_id: myself
    assert mine.json() == {"success": True, "data": {"token_balance": 5000 - 1441}}
    entries = api.ledger(user_id)
    assert [(e["reason"], e["delta"]) for e in entries[:2]] == [("topup", 15), ("spend", -1456)]
    assert entries[1]["details"] == {"session_id": "sess_1", "usage": BREAKDOWN}
    assert sum(e["delta"] for e in entries) == api.balance(user_id)


def test_check_only_changes_nothing(api: Api) -> None:
    user_id, me = api.create_user(balance=3000)
    checked = _spend(api, me, usage=REALTIME_USAGE, check_only=True)
    assert checked.json() == {"success": True, "data": {"tokens_used": 0, "new_balance": 3000}}
    too_much = _spend(api, me, usage=usage(3001), check_only=True)
    assert too_much.status_code == 402
    assert too_much.json()["error"] == "Insufficient tokens"
    assert api.balance(user_id) == 3000
    assert [e["reason"] for e in api.ledger(user_id)][0] != "spend"


def test_overspend_is_402_insufficient_tokens_and_changes_nothing(api: Api) -> None:
    user_id, me = api.create_user(balance=30)
    response = _spend(api, me, user_id=user_id, usage=usage(31))
    assert response.status_code == 402
    assert response.json() == {"success": False, "error": "Insufficient tokens", "balance": 30}
    assert api.balance(user_id) == 30
    exact = _spend(api, me, user_id=user_id, usage=usage(30))
    assert exact.json()["data"]["new_balance"] == 0


def test_missing_counters_are_zero_and_unknown_keys_ignored(api: Api) -> None:
    user_id, me = api.create_user(balance=100)
    response = _spend(api, me, usage={"total_tokens": 7, "future_counter": {"x": 1}})
    assert response.json()["data"] == {
        "tokens_used": 7,
        "new_balance": 93,
        "usage_breakdown": {
            "input": {"total": 0, "text": 0, "audio": 0, "image": 0, "cached": 0},
            "output": {"total": 0, "text": 0, "audio": 0, "image": 0, "cached": 0},
            "total": 7,
        },
    }
    empty = _spend(api, me, usage={})
    assert empty.json()["data"]["tokens_used"] == 0 and api.balance(user_id) == 93


@pytest.mark.parametrize(
    ("bad_usage", "error"),
    [
        (None, "usage must be an object"),
        ([1, 2], "usage must be an object"),
        ("1456", "usage must be an object"),
        ({"total_tokens": -5}, "usage.total_tokens must be a non-negative integer"),
        ({"total_tokens": "10"}, "usage.total_tokens must be a non-negative integer"),
        ({"total_tokens": 1.5}, "usage.total_tokens must be a non-negative integer"),
        ({"total_tokens": True}, "usage.total_tokens must be a non-negative integer"),
        ({"total_tokens": 10**13}, "usage.total_tokens must be a non-negative integer"),
        ({"total_tokens": 1, "input_tokens": -1}, "usage.input_tokens must be"),
        ({"total_tokens": 1, "input_token_details": 3}, "usage.input_token_details must be"),
        (
            {"total_tokens": 1, "output_token_details": {"audio_tokens": -2}},
            "usage.output_token_details.audio_tokens must be a non-negative integer",
        ),
    ],
)
def test_bad_usage_is_400(api: Api, bad_usage: object, error: str) -> None:
    user_id, me = api.create_user(balance=100)
    for check_only in (False, True):
        response = _spend(api, me, usage=bad_usage, check_only=check_only)
        assert response.status_code == 400, response.text
        assert response.json()["success"] is False
        assert response.json()["error"].startswith(error), response.text
    assert api.balance(user_id) == 100


def test_bad_fields_are_invalid_requests(api: Api) -> None:
    user_id, me = api.create_user(balance=100)
    for body in (
        {"session_id": "s"},  # usage is required
        {"usage": usage(1), "check_only": "yes"},
        {"usage": usage(1), "session_id": 5},
        {"usage": usage(1), "session_id": "s" * 129},
    ):
        response = _spend(api, me, **body)
        assert response.status_code == 400, body
        assert response.json()["error"].startswith("Invalid request: "), body
    for content in (b"{not json", b"[1, 2]", b'"text"'):
        response = httpx.patch(
            api.url + "/api/tokens",
            content=content,
            headers={**me, "Content-Type": "application/json"},
        )
        assert response.status_code == 400, content
        assert response.json()["success"] is False
        assert response.json()["error"].startswith("Invalid request: "), content
    assert api.balance(user_id) == 100


@pytest.mark.parametrize("amount", [0, -5, "10", 1.5, True, None, 10**13])
def test_tokens_to_add_must_be_a_positive_integer(api: Api, amount: object) -> None:
    user_id, _ = api.create_user()
    response = httpx.put(
        api.url + "/api/tokens",
        json={"user_id": user_id, "tokens_to_add": amount},
        headers=api.service,
    )
    assert response.status_code == 400, (amount, response.text)
    assert response.json()["error"].startswith("Invalid request: tokens_to_add")


def test_top_up_is_for_service_and_admin_only(api: Api) -> None:
    user_id, me = api.create_user()
    before = api.balance(user_id)
    for headers in (me, token_for("visitor", "anon")):
        response = httpx.put(
            api.url + "/api/tokens", json={"user_id": user_id, "tokens_to_add": 5}, headers=headers
        )
        assert response.status_code == 403
        assert response.json() == {"success": False, "error": "this token's role may not do that"}
    assert api.balance(user_id) == before


def test_unknown_user_is_404_for_service_tokens(api: Api) -> None:
    for method, path, kwargs in (
        ("GET", "/api/tokens", {"params": {"user_id": 987654321}}),
        ("GET", "/api/tokens/history", {"params": {"user_id": 987654321}}),
        ("PATCH", "/api/tokens", {"json": {"user_id": 987654321, "usage": usage(1)}}),
        (
            "PATCH",
            "/api/tokens",
            {"json": {"user_id": 987654321, "usage": usage(1), "check_only": True}},
        ),
        ("PUT", "/api/tokens", {"json": {"user_id": 987654321, "tokens_to_add": 1}}),
    ):
        response = httpx.request(method, api.url + path, headers=api.service, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"] == "user not found"


def test_idempotency_key_replays_the_first_answer_in_the_envelope(api: Api) -> None:
    user_id, me = api.create_user(balance=100)
    body = {"user_id": user_id, "session_id": "abc", "usage": usage(30)}
    headers = {**me, "Idempotency-Key": "spend-abc"}
    first = httpx.patch(api.url + "/api/tokens", json=body, headers=headers)
    replay = httpx.patch(api.url + "/api/tokens", json=body, headers=headers)
    assert first.status_code == replay.status_code == 200
    assert first.json() == replay.json()
    assert replay.json()["success"] is True and replay.json()["data"]["new_balance"] == 70
    assert "idempotent-replayed" not in first.headers
    assert replay.headers["idempotent-replayed"] == "true"
    assert api.balance(user_id) == 70
    keyed = [e for e in api.ledger(user_id) if e["idempotency_key"] == "spend-abc"]
    assert [(e["reason"], e["delta"]) for e in keyed] == [("spend", -30)]

    reused = httpx.patch(
        api.url + "/api/tokens", json={**body, "usage": usage(31)}, headers=headers
    )
    assert reused.status_code == 422
    assert reused.json()["success"] is False and "Idempotency-Key" in reused.json()["error"]

    # A top-up replay (a webhook delivered twice) credits once.
    credit = {"user_id": user_id, "tokens_to_add": 500}
    webhook = {**api.service, "Idempotency-Key": "payment-77"}
    for _ in range(2):
        response = httpx.put(api.url + "/api/tokens", json=credit, headers=webhook)
        assert response.json() == {
            "success": True,
            "data": {"tokens_added": 500, "new_balance": 570},
        }
    assert api.balance(user_id) == 570


def test_a_refused_spend_is_replayed_as_refused_in_the_envelope(api: Api) -> None:
    user_id, me = api.create_user(balance=10)
    headers = {**me, "Idempotency-Key": "too-much"}
    body = {"user_id": user_id, "usage": usage(11)}
    first = httpx.patch(api.url + "/api/tokens", json=body, headers=headers)
    api.set_balance(user_id, 10, 50)
    replay = httpx.patch(api.url + "/api/tokens", json=body, headers=headers)
    assert first.status_code == replay.status_code == 402
    expected = {"success": False, "error": "Insufficient tokens", "balance": 10}
    assert first.json() == replay.json() == expected
    assert replay.headers["idempotent-replayed"] == "true"
    assert api.balance(user_id) == 50


def test_history_limit_and_validation(api: Api) -> None:
    user_id, me = api.create_user(balance=100)
    for _ in range(3):
        _spend(api, me, user_id=user_id, usage=usage(1))
    two = httpx.get(api.url + "/api/tokens/history", params={"limit": 2}, headers=me)
    assert [e["balance_after"] for e in two.json()] == [97, 98]
    for bad in ("0", "-1", "x"):
        response = httpx.get(api.url + "/api/tokens/history", params={"limit": bad}, headers=me)
        assert response.status_code == 400
        assert response.json()["error"]


def test_metrics_count_spent_and_credited_tokens(api: Api) -> None:
    user_id, me = api.create_user(balance=100)
    spent_before = api.metric("voxhub_tokens_spent_total")
    credited_before = api.metric("voxhub_tokens_credited_total", '{reason="topup"}')
    _spend(api, me, user_id=user_id, usage=usage(7))
    _spend(api, me, user_id=user_id, usage=usage(7), check_only=True)
    _spend(api, me, user_id=user_id, usage=usage(10**6))  # refused: counts nothing
    httpx.put(
        api.url + "/api/tokens", json={"user_id": user_id, "tokens_to_add": 9}, headers=api.service
    )
    assert api.metric("voxhub_tokens_spent_total") == spent_before + 7
    assert api.metric("voxhub_tokens_credited_total", '{reason="topup"}') == credited_before + 9
