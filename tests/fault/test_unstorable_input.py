"""What the OpenAPI fuzzer found, pinned: inputs that passed validation but could not be
stored gave 500s from inside PostgreSQL writes. Each is now a 4xx in the route's envelope."""

from __future__ import annotations

import httpx
import pytest

from tests.accounts.client import Api, token_for
from tests.fault.test_openapi_fuzz import tracebacks
from tests.fixtures.voxhub_server import VoxhubServer
from tests.ws.client import WsClient


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('"a\\u0000b"', "text must not contain NUL characters (\\u0000)"),
        ('"\\udbd9x"', "text must not contain unpaired surrogates"),
    ],
)
def test_text_no_store_can_keep_is_a_400(
    fuzz_cluster: VoxhubServer, text: str, problem: str
) -> None:
    api = Api(fuzz_cluster)
    user_id, headers = api.create_user()
    raw = f'{{"user_id": {user_id}, "context_summary": {text}}}'
    response = httpx.post(
        fuzz_cluster.url + "/api/voice-sessions",
        content=raw,
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json() == {"success": False, "error": f"Invalid request: {problem}"}
    login = httpx.post(
        fuzz_cluster.url + "/api/auth/login",
        content=f'{{"username": {text}, "password": "whatever-long"}}',
        headers={"content-type": "application/json"},
    )
    assert login.status_code == 400, login.text
    assert login.json() == {"error": problem}


def test_a_price_whose_cents_overflow_the_column_is_a_400(fuzz_cluster: VoxhubServer) -> None:
    response = httpx.post(
        fuzz_cluster.url + "/api/admin/plans",
        json={"name": "too dear", "price": 232371051.12, "token_amount": 10},
        headers=token_for("ops", "admin"),
    )
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False


@pytest.mark.parametrize("chat_id", ["-5548041111771210154195812352", "99999999999999999999999"])
def test_chat_ids_beyond_a_bigint_name_no_chat(fuzz_cluster: VoxhubServer, chat_id: str) -> None:
    user_id, headers = Api(fuzz_cluster).create_user()
    for method, path in (("GET", ""), ("POST", "/messages")):
        response = httpx.request(
            method,
            f"{fuzz_cluster.url}/api/chats/{chat_id}{path}",
            json={"text": "hi", "client_msg_id": "m1"},
            headers=headers,
        )
        assert response.status_code == 404, response.text
        assert response.json() == {"error": "chat not found"}


def test_member_ids_beyond_a_bigint_are_a_400(fuzz_cluster: VoxhubServer) -> None:
    _, headers = Api(fuzz_cluster).create_user()
    response = httpx.post(
        fuzz_cluster.url + "/api/chats",
        json={"member_ids": [22624165881576513536]},
        headers=headers,
    )
    assert response.status_code == 400, response.text
    assert "member_ids" in response.json()["error"]


async def test_a_socket_frame_with_nul_text_is_an_error_frame(fuzz_cluster: VoxhubServer) -> None:
    """Over /ws as over REST: a chat message with a NUL is refused before it reaches a write."""
    user_id, headers = Api(fuzz_cluster).create_user()
    async with httpx.AsyncClient(base_url=fuzz_cluster.url) as http:
        chat = (await http.post("/api/chats", json={"member_ids": []}, headers=headers)).json()
    client = await WsClient.connect(fuzz_cluster.ws_url, token=headers["Authorization"][7:])
    try:
        payload = f'{{"chat_id": {chat["id"]}, "text": "a\\u0000b", "client_msg_id": "nul-1"}}'
        await client.send(f'{{"type": "chat.send", "payload": {payload}}}')
        error = await client.expect_error("bad_frame")
        assert error["payload"]["message"] == "text must not contain NUL characters (\\u0000)"
        await client.send({"type": "ping"})
        await client.expect("pong")
    finally:
        await client.close()
    assert not tracebacks(fuzz_cluster)
