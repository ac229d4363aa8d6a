"""The real mini-app's session, call for call, as `TMAApp`/`useVoiceAI` make it with
`Authorization: tma <initData>`, reading exactly the fields the client reads."""

import itertools
import time

import httpx

from tests.accounts.client import Api, tma

_telegram_ids = itertools.count(55_000_000 + int(time.time()) % 1_000_000 * 10)

# A `response.done` usage as OpenAI Realtime sends it, forwarded as is by the client.
RESPONSE_DONE_USAGE = {
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
TALK_THRESHOLD = 2000  # the client talks only while token_balance > 2000


def _data(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


def _cleanup(client: httpx.Client, user_id: int, balance: int) -> httpx.Response:
    """What the client does with a balance of 2000 or less: it spends all of it."""
    return client.patch(
        "/api/tokens",
        json={
            "user_id": user_id,
            "session_id": f"cleanup_{int(time.time() * 1000)}",
            "usage": {"total_tokens": balance, "input_tokens": balance, "output_tokens": 0},
        },
    )


def test_a_paying_users_session(api: Api) -> None:
    telegram_user = {
        "id": next(_telegram_ids),
        "first_name": "Ира",
        "last_name": "К.",
        "username": None,
        "language_code": "ru",
        "is_premium": True,
    }
    with httpx.Client(base_url=api.url, headers=tma(telegram_user)) as client:
        # Open: the client registers itself with everything initData told it.
        opened = _data(
            client.post(
                "/api/users",
                json={
                    "telegram_id": str(telegram_user["id"]),
                    "first_name": "Ира",
                    "last_name": "К.",
                    "username": "",
                    "language_code": "ru",
                },
            )
        )
        user = opened["user"]
        user_id = user["id"]
        assert user["telegram_id"] == str(telegram_user["id"])
        assert user["is_premium"] is True and user["token_balance"] == 1000

        fetched = _data(client.get("/api/users", params={"telegram_id": user["telegram_id"]}))
        assert fetched["user"]["id"] == user_id
        assert fetched["user"]["selected_model"] == "gpt-realtime"
        assert _data(client.get("/api/tokens", params={"user_id": user_id})) == {
            "token_balance": 1000
        }
        plans = _data(client.get("/api/plans"))["plans"]
        assert {"Базовый", "Премиум", "Про"} <= {plan["name"] for plan in plans}
        for plan in plans:
            assert isinstance(plan["price"], (int, float)) and plan["token_amount"] > 0
            assert isinstance(plan["features"], list)
        current = _data(client.get("/api/user-current-plan", params={"user_id": user_id}))
        assert current["has_active_subscription"] is False
        assert current["current_plan_name"] == "Бесплатный план"

        # The purchase goes through the payment backend (a service token), not the client.
        premium = next(plan for plan in plans if plan["name"] == "Премиум")
        bought = httpx.post(
            api.url + "/api/user-plans",
            json={"user_id": user_id, "plan_id": premium["id"], "payment_id": "tg-pay-1"},
            headers=api.service,
        )
        balance = _data(bought)["new_token_balance"]
        assert balance == 1000 + premium["token_amount"] > TALK_THRESHOLD
        current = _data(client.get("/api/user-current-plan", params={"user_id": user_id}))
        assert current["has_active_subscription"] is True
        assert current["current_plan_name"] == "Премиум" and current["token_balance"] == balance

        # A conversation: a check before the response, then its usage is charged.
        check = client.patch(
            "/api/tokens",
            json={"user_id": user_id, "usage": RESPONSE_DONE_USAGE, "check_only": True},
        )
        assert _data(check)["new_balance"] == balance
        spent = _data(
            client.patch(
                "/api/tokens",
                json={"user_id": user_id, "session_id": "sess_abc", "usage": RESPONSE_DONE_USAGE},
            )
        )
        assert spent["new_balance"] == balance - 1456 and spent["tokens_used"] == 1456
        assert spent["usage_breakdown"]["total"] == 1456

        # Talk down to the threshold, then the client's cleanup spends the rest.
        left = balance - 1456
        down = left - TALK_THRESHOLD
        spent = _data(
            client.patch(
                "/api/tokens",
                json={"user_id": user_id, "usage": {"total_tokens": down, "input_tokens": down}},
            )
        )
        assert spent["new_balance"] == TALK_THRESHOLD
        cleaned = _data(_cleanup(client, user_id, TALK_THRESHOLD))
        assert cleaned["new_balance"] == 0
        assert _data(client.get("/api/tokens"))["token_balance"] == 0
        refused = client.patch("/api/tokens", json={"usage": RESPONSE_DONE_USAGE})
        assert refused.status_code == 402
        assert refused.json()["error"] == "Insufficient tokens"


def test_a_free_users_balance_is_cleaned_up_at_once(api: Api) -> None:
    telegram_user = {"id": next(_telegram_ids), "first_name": "Lev", "language_code": "en"}
    with httpx.Client(base_url=api.url, headers=tma(telegram_user)) as client:
        user = _data(
            client.post(
                "/api/users", json={"telegram_id": str(telegram_user["id"]), "first_name": "Lev"}
            )
        )["user"]
        assert user["is_premium"] is False
        balance = _data(client.get("/api/tokens", params={"user_id": user["id"]}))["token_balance"]
        assert 0 < balance <= TALK_THRESHOLD
        assert _data(_cleanup(client, user["id"], balance))["new_balance"] == 0
        again = _data(
            client.post(
                "/api/users", json={"telegram_id": str(telegram_user["id"]), "first_name": "Lev"}
            )
        )
        assert again["user"]["token_balance"] == 0  # no refill on reopening
