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
    ],
)
def test_odd_digits_and_huge_ids_in_queries_are_400(api: Api, path: str, params: dict) -> None:
    user_id, headers = api.create_user()
    if path != "/api/users":
        params = {"user_id": str(user_id), **params}
    response = httpx.get(api.url + path, params=params, headers=headers)
    assert response.status_code == 400, response.text
    assert "error" in response.json()


def test_a_huge_user_id_in_a_body_is_400(api: Api) -> None:
    response = httpx.patch(
        api.url + "/api/tokens",
        json={"user_id": int(HUGE), "amount": 1},
        headers=token_for("svc", "service"),
    )
    assert response.status_code == 400, response.text


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
