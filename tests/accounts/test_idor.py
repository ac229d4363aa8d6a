"""A `user` token acts only for itself: every route taking a user_id refuses another's id.

Service and admin tokens act for anyone (the bot backend, the payment webhook); anon tokens
(random voice chat visitors) have no account here at all.
"""

import itertools
import time

import httpx
import pytest

from tests.accounts.client import Api, tma, token_for

_telegram_ids = itertools.count(77_000_000 + int(time.time()) % 1_000_000 * 10)

# (method, path, where the user_id goes, the rest of a valid request)
USER_ID_ROUTES = [
    ("GET", "/api/users", "query", {}),
    ("PATCH", "/api/users", "json", {"selected_model": "gpt-realtime"}),
    ("GET", "/api/tokens", "query", {}),
    ("PATCH", "/api/tokens", "json", {"usage": {"total_tokens": 1}}),
    ("PATCH", "/api/tokens", "json", {"usage": {"total_tokens": 1}, "check_only": True}),
    ("PUT", "/api/tokens", "json", {"tokens_to_add": 1}),
    ("GET", "/api/tokens/history", "query", {}),
    ("GET", "/api/user-plans", "query", {}),
    ("POST", "/api/user-plans", "json", {"plan_id": 1}),
    ("GET", "/api/user-current-plan", "query", {}),
    ("GET", "/api/conversation", "query", {}),
    ("POST", "/api/conversation", "json", {"message_type": "user", "content": "hi"}),
    ("GET", "/api/prompts", "query", {}),
    ("POST", "/api/prompts", "json", {"title": "t", "content": "c"}),
    ("POST", "/api/user-prompt", "json", {"prompt_id": 1}),
    ("DELETE", "/api/user-prompt", "query", {"prompt_id": 1}),
    ("GET", "/api/user-voice", "query", {}),
    ("POST", "/api/user-voice", "json", {"voice": "coral"}),
    ("GET", "/api/user-activity", "query", {}),
    ("POST", "/api/user-activity", "json", {"action": "login"}),
    ("GET", "/api/voice-sessions", "query", {}),
    ("POST", "/api/voice-sessions", "json", {"words_spoken": 1}),
    ("GET", "/api/voice-sessions/stats", "query", {}),
    ("GET", "/api/token", "query", {}),
]
# What the victim's own reads show after the attempts: nothing written for them.
UNTOUCHED = [
    ("/api/conversation", "messages", []),
    ("/api/prompts", "userPrompts", []),
    ("/api/prompts", "selectedPromptId", None),
    ("/api/user-voice", "voice", "ash"),
    ("/api/user-activity", "activities", []),
    ("/api/voice-sessions", "sessions", []),
]


def _call(api: Api, route: tuple, user_id: int, headers: dict[str, str]) -> httpx.Response:
    method, path, where, rest = route
    if where == "query":
        return httpx.request(
            method, api.url + path, params={"user_id": user_id, **rest}, headers=headers
        )
    return httpx.request(method, api.url + path, json={"user_id": user_id, **rest}, headers=headers)


@pytest.mark.parametrize("route", USER_ID_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_another_users_id_is_403_and_touches_nothing(api: Api, route: tuple) -> None:
    victim_id, _ = api.create_user(balance=3000)
    _, attacker = api.create_user()
    before = (api.balance(victim_id), len(api.ledger(victim_id)))
    mini_app = tma({"id": next(_telegram_ids), "first_name": "Eve"})
    for headers in (attacker, mini_app, token_for("visitor-1", "anon")):
        response = _call(api, route, victim_id, headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"]
    assert (api.balance(victim_id), len(api.ledger(victim_id))) == before
    for path, field, expected in UNTOUCHED:
        stored = httpx.get(api.url + path, params={"user_id": victim_id}, headers=api.service)
        assert stored.json()["data"][field] == expected, path


def _telegram_id_of(api: Api, user_id: int) -> str:
    victim = httpx.get(api.url + "/api/users", params={"user_id": user_id}, headers=api.service)
    return victim.json()["data"]["user"]["telegram_id"]


def test_another_users_telegram_id_is_403(api: Api) -> None:
    victim_id, _ = api.create_user()
    telegram_id = _telegram_id_of(api, victim_id)
    _, attacker = api.create_user()
    mini_app = tma({"id": next(_telegram_ids), "first_name": "Eve"})
    for headers in (attacker, mini_app):
        for params in ({"telegram_id": telegram_id}, {"telegram_id": telegram_id, "user_id": ""}):
            lookup = httpx.get(api.url + "/api/users", params=params, headers=headers)
            assert lookup.status_code == 403, lookup.text
            assert lookup.json() == {
                "success": False,
                "error": "you may only act on your own account",
            }
        for claimed in (telegram_id, int(telegram_id)):
            takeover = httpx.post(
                api.url + "/api/users",
                json={"telegram_id": claimed, "first_name": "Mallory"},
                headers=headers,
            )
            assert takeover.status_code == 403, takeover.text
    after = httpx.get(api.url + "/api/users", params={"user_id": victim_id}, headers=api.service)
    assert after.json()["data"]["user"]["first_name"] == "Test"


def test_own_telegram_id_with_another_users_id_is_403(api: Api) -> None:
    victim_id, _ = api.create_user()
    own = {"id": next(_telegram_ids), "first_name": "Eve"}
    response = httpx.get(
        api.url + "/api/users",
        params={"telegram_id": own["id"], "user_id": victim_id},
        headers=tma(own),
    )
    assert response.status_code == 403
    mine = httpx.get(api.url + "/api/users", params={"telegram_id": own["id"]}, headers=tma(own))
    assert mine.json()["data"]["user"]["telegram_id"] == str(own["id"])
