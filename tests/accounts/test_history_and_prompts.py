"""Conversation history (`/api/conversation`): per-user, ordered, validated, in the envelope."""

import httpx
import pytest

from tests.accounts.client import Api


def _post(api: Api, headers: dict[str, str], **body: object) -> httpx.Response:
    return httpx.post(api.url + "/api/conversation", json=body, headers=headers)


def _contents(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    return [message["content"] for message in response.json()["data"]["messages"]]


def test_conversation_returns_the_last_messages_oldest_first(api: Api) -> None:
    user_id, me = api.create_user()
    ids = []
    for index in range(8):
        saved = _post(
            api,
            me,
            user_id=user_id,
            message_type=("user", "assistant")[index % 2],
            content=f"message {index}",
            session_id=41,
            audio_duration_seconds=index,
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["success"] is True
        ids.append(saved.json()["data"]["message_id"])
    assert ids == sorted(ids)
    default = httpx.get(api.url + "/api/conversation", params={"user_id": user_id}, headers=me)
    assert _contents(default) == [f"message {i}" for i in range(2, 8)]
    last = default.json()["data"]["messages"][-1]
    assert last["id"] == ids[-1] and last["user_id"] == user_id
    assert last["message_type"] == "assistant" and last["session_id"] == 41
    assert last["audio_duration_seconds"] == 7 and last["created_at"]
    three = httpx.get(api.url + "/api/conversation", params={"limit": 3}, headers=me)
    assert _contents(three) == ["message 5", "message 6", "message 7"]
    capped = httpx.get(api.url + "/api/conversation", params={"limit": 1000}, headers=me)
    assert len(_contents(capped)) == 8
    _, other = api.create_user()
    empty = httpx.get(api.url + "/api/conversation", headers=other)
    assert empty.json() == {"success": True, "data": {"messages": []}}


def test_optional_message_fields_default(api: Api) -> None:
    _, me = api.create_user()
    assert _post(api, me, message_type="user", content="hi").status_code == 200
    (message,) = httpx.get(api.url + "/api/conversation", headers=me).json()["data"]["messages"]
    assert message["session_id"] is None and message["audio_duration_seconds"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"message_type": "robot", "content": "x"},
        {"message_type": "system", "content": "x"},
        {"role": "user", "content": "x"},
        {"message_type": "user", "content": ""},
        {"message_type": "user", "content": "   "},
        {"message_type": "user"},
        {"message_type": "user", "content": 5},
        {"message_type": "user", "content": "x" * 32_001},
        {"message_type": "user", "content": "x", "session_id": 0},
        {"message_type": "user", "content": "x", "session_id": "7"},
        {"message_type": "user", "content": "x", "audio_duration_seconds": -1},
        {"message_type": "user", "content": "x", "audio_duration_seconds": 1.5},
        {"message_type": "user", "content": "x", "audio_duration_seconds": 10**9},
    ],
)
def test_conversation_refuses_bad_messages(api: Api, body: dict) -> None:
    _, me = api.create_user()
    response = httpx.post(api.url + "/api/conversation", json=body, headers=me)
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["error"].startswith("Invalid request: ")


def test_a_body_that_is_not_json_is_400(api: Api) -> None:
    _, me = api.create_user()
    for content in (b"{not json", b"[1, 2]"):
        response = httpx.post(
            api.url + "/api/conversation",
            content=content,
            headers={**me, "Content-Type": "application/json"},
        )
        assert response.status_code == 400, content
        assert response.json()["error"].startswith("Invalid request: ")


def test_history_is_the_callers_own(api: Api) -> None:
    owner_id, owner = api.create_user()
    _, intruder = api.create_user()
    assert _post(api, owner, message_type="user", content="secret").status_code == 200
    read = httpx.get(api.url + "/api/conversation", params={"user_id": owner_id}, headers=intruder)
    write = _post(api, intruder, user_id=owner_id, message_type="user", content="planted")
    for response in (read, write):
        assert response.status_code == 403
        assert response.json() == {
            "success": False,
            "error": "you may only act on your own account",
        }
    assert _contents(httpx.get(api.url + "/api/conversation", headers=owner)) == ["secret"]
    # A service names the user it acts for, and must name one.
    on_behalf = httpx.get(
        api.url + "/api/conversation", params={"user_id": owner_id}, headers=api.service
    )
    assert _contents(on_behalf) == ["secret"]
    unnamed = httpx.get(api.url + "/api/conversation", headers=api.service)
    assert unnamed.status_code == 400 and unnamed.json()["success"] is False


def test_conversation_query_errors(api: Api) -> None:
    _, me = api.create_user()
    for params in ({"limit": "0"}, {"limit": "x"}, {"limit": "²"}, {"user_id": "abc"}):
        response = httpx.get(api.url + "/api/conversation", params=params, headers=me)
        assert response.status_code == 400, params
        assert response.json()["success"] is False
    unknown = httpx.get(
        api.url + "/api/conversation", params={"user_id": 10**15}, headers=api.service
    )
    assert unknown.status_code == 404
    assert unknown.json() == {"success": False, "error": "user not found"}


def test_a_body_over_request_max_bytes_is_413_in_the_envelope(embedded) -> None:
    api = Api(embedded)
    _, me = api.create_user()
    response = httpx.post(
        api.url + "/api/conversation",
        content=b'{"message_type": "user", "content": "' + b"x" * 1_100_000 + b'"}',
        headers={**me, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["success"] is False and response.json()["error"]
