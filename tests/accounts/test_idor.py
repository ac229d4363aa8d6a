"""A `user` token acts only for itself: every route taking a user_id refuses another's id.

Service and admin tokens act for anyone (the bot backend, the payment webhook); anon tokens
(random voice chat visitors) have no account here at all.
"""

import httpx
import pytest

from tests.accounts.client import Api, token_for

# (method, path, where the user_id goes, the rest of a valid request)
USER_ID_ROUTES = [
    ("GET", "/api/users", "query", {}),
    ("PATCH", "/api/users", "json", {"selected_model": "gpt-realtime"}),
    ("GET", "/api/tokens", "query", {}),
    ("PATCH", "/api/tokens", "json", {"amount": 1}),
    ("PUT", "/api/tokens", "json", {"amount": 1}),
    ("GET", "/api/tokens/history", "query", {}),
    ("GET", "/api/user-plans", "query", {}),
    ("POST", "/api/user-plans", "json", {"plan_id": 1}),
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
    for headers in (attacker, token_for("visitor-1", "anon")):
        response = _call(api, route, victim_id, headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"]
    assert (api.balance(victim_id), len(api.ledger(victim_id))) == before
    for path, field, expected in UNTOUCHED:
        stored = httpx.get(api.url + path, params={"user_id": victim_id}, headers=api.service)
        assert stored.json()["data"][field] == expected, path


def test_another_users_telegram_id_is_403(api: Api) -> None:
    victim_id, _ = api.create_user()
    victim = httpx.get(api.url + "/api/users", params={"user_id": victim_id}, headers=api.service)
    telegram_id = victim.json()["telegram_id"]
    _, attacker = api.create_user()
    lookup = httpx.get(
        api.url + "/api/users", params={"telegram_id": telegram_id}, headers=attacker
    )
    takeover = httpx.post(
        api.url + "/api/users",
        json={"telegram_id": telegram_id, "first_name": "Mallory"},
        headers=attacker,
    )
    assert lookup.status_code == takeover.status_code == 403
    after = httpx.get(api.url + "/api/users", params={"user_id": victim_id}, headers=api.service)
    assert after.json()["first_name"] == victim.json()["first_name"]
