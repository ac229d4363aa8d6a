"""Numbers a client can send that Python or the database would choke on: every one a 4xx.

`"²".isdigit()` is true but `int("²")` fails; ids beyond 64 bits parse in Python and then fail
in the database. Both used to answer 500.
"""

import httpx
import pytest

from tests.accounts.client import Api, bearer, token_for, unique_name

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/tokens/history", {"limit": "²"}),
        ("/api/conversation", {"limit": "²"}),
        ("/api/users", {"telegram_id": "²"}),
        ("/api/tokens", {"user_id": HUGE}),
        ("/api/users", {"telegram_id": HUGE}),
        ("/api/users", {"user_id": HUGE}),
        ("/api/user-plans", {"user_id": HUGE}),
        ("/api/user-current-plan", {"user_id": HUGE}),
    ],
)
def test_odd_digits_and_huge_ids_in_queries_are_400(api: Api, path: str, params: dict) -> None:
    user_id, headers = api.create_user()
    if path != "/api/users":
        params = {"user_id": str(user_id), **params}
    response = httpx.get(api.url + path, params=params, headers=headers)
    assert response.status_code == 400, response.text
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/tokens", {"user_id": int(HUGE), "usage": {"total_tokens": 1}}),
        ("PATCH", "/api/tokens", {"usage": {"total_tokens": int(HUGE)}}),
        ("PATCH", "/api/tokens", {"usage": {"total_tokens": 1, "input_tokens": int(HUGE)}}),
        ("PUT", "/api/tokens", {"user_id": int(HUGE), "tokens_to_add": 1}),
        ("PUT", "/api/tokens", {"tokens_to_add": int(HUGE)}),
        ("POST", "/api/users", {"telegram_id": int(HUGE), "first_name": "A"}),
        ("POST", "/api/users", {"telegram_id": HUGE, "first_name": "A"}),
        ("POST", "/api/user-plans", {"user_id": int(HUGE), "plan_id": 1}),
        ("POST", "/api/user-plans", {"plan_id": int(HUGE)}),
        ("PATCH", "/api/users", {"user_id": int(HUGE), "selected_model": "gpt-realtime"}),
    ],
)
def test_huge_numbers_in_bodies_are_400_in_the_envelope(
    api: Api, method: str, path: str, body: dict
) -> None:
    user_id, _ = api.create_user()
    response = httpx.request(
        method,
        api.url + path,
        json={"user_id": user_id, **body},
        headers=token_for("svc", "service"),
    )
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False
    assert response.json()["error"]


def test_huge_chat_ids_are_a_missing_chat(api: Api) -> None:
    registered = httpx.post(
        api.url + "/api/auth/register",
        json={"username": unique_name("huge"), "password": "long enough"},
    )
    headers = bearer(registered.json()["access_token"])
    for path in (f"/api/chats/{HUGE}", f"/api/chats/{HUGE}/messages"):
        response = httpx.get(api.url + path, headers=headers)
        assert response.status_code == 404, (path, response.text)
    chat = httpx.post(api.url + "/api/chats", json={"member_ids": []}, headers=headers)
    assert chat.status_code == 201, chat.text
    response = httpx.get(
        api.url + f"/api/chats/{chat.json()['id']}/messages",
        params={"after_id": HUGE},
        headers=headers,
    )
    assert response.status_code == 400, response.text
