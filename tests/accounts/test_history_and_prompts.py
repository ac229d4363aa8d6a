"""Conversation history and prompts: per-user, ordered, validated."""

import httpx
import pytest

from tests.accounts.client import Api


def test_conversation_returns_the_last_messages_oldest_first(api: Api) -> None:
    user_id, me = api.create_user()
    for index in range(8):
        role = ("user", "assistant")[index % 2]
        response = httpx.post(
            api.url + "/api/conversation",
            json={"user_id": user_id, "role": role, "content": f"message {index}"},
            headers=me,
        )
        assert response.status_code == 201
        assert response.json()["content"] == f"message {index}"
    default = httpx.get(api.url + "/api/conversation", params={"user_id": user_id}, headers=me)
    assert [m["content"] for m in default.json()] == [f"message {i}" for i in range(2, 8)]
    three = httpx.get(api.url + "/api/conversation", params={"limit": 3}, headers=me)
    assert [m["content"] for m in three.json()] == ["message 5", "message 6", "message 7"]
    capped = httpx.get(api.url + "/api/conversation", params={"limit": 1000}, headers=me)
    assert len(capped.json()) == 8
    _, other = api.create_user()
    assert httpx.get(api.url + "/api/conversation", headers=other).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"role": "robot", "content": "x"},
        {"role": "user", "content": ""},
        {"role": "user"},
        {"role": "user", "content": 5},
        {"role": "user", "content": "x" * 32_001},
    ],
)
def test_conversation_refuses_bad_messages(api: Api, body: dict) -> None:
    _, me = api.create_user()
    response = httpx.post(api.url + "/api/conversation", json=body, headers=me)
    assert response.status_code == 400 and response.json()["error"]


def test_prompts_newest_is_selected(api: Api) -> None:
    user_id, me = api.create_user()
    for name, selected in (("tutor", True), ("pirate", True), ("draft", False)):
        response = httpx.post(
            api.url + "/api/prompts",
            json={
                "user_id": user_id,
                "name": name,
                "content": f"Act as a {name}.",
                "selected": selected,
            },
            headers=me,
        )
        assert response.status_code == 201
    prompts = httpx.get(api.url + "/api/prompts", params={"user_id": user_id}, headers=me).json()
    assert [(p["name"], p["is_selected"]) for p in prompts] == [
        ("tutor", False),
        ("pirate", True),
        ("draft", False),
    ]
    for body in (
        {"name": "", "content": "c"},
        {"name": "n"},
        {"name": "n", "content": "c", "selected": "yes"},
    ):
        refused = httpx.post(api.url + "/api/prompts", json=body, headers=me)
        assert refused.status_code == 400, body


def test_a_body_over_request_max_bytes_is_413_json(embedded) -> None:
    api = Api(embedded)
    _, me = api.create_user()
    response = httpx.post(
        api.url + "/api/conversation",
        content=b'{"role": "user", "content": "' + b"x" * 1_100_000 + b'"}',
        headers={**me, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]
