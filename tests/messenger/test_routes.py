"""The messenger's REST API on the two-worker cluster (real Redis, real PostgreSQL, no AI key)."""

from __future__ import annotations

import re

import httpx

from tests.fixtures.voxhub_server import VoxhubServer
from tests.messenger.helpers import create_chat, post, register


async def test_chats_are_visible_to_members_only(http: httpx.AsyncClient) -> None:
    ada, bob, eve = await register(http), await register(http), await register(http)
    chat = await create_chat(http, ada, bob)
    assert {m["user_id"] for m in chat["members"]} == {ada.id, bob.id}
    assert all(m["ai_mode"] == "off" for m in chat["members"])
    assert chat["created_at"].endswith("Z") and chat["title"] is None

    listed = (await http.get("/api/chats", headers=bob.headers)).json()
    assert [c["id"] for c in listed][:1] == [chat["id"]]
    assert (await http.get(f"/api/chats/{chat['id']}", headers=bob.headers)).json() == chat
    assert (await http.get("/api/chats", headers=eve.headers)).json() == []

    base = f"/api/chats/{chat['id']}"
    for method, path, body in (
        ("GET", base, None),
        ("GET", base + "/messages", None),
        ("GET", base + "/advice", None),
        ("POST", base + "/messages", {"text": "let me in"}),
        ("PUT", base + "/ai", {"mode": "advice"}),
        ("GET", "/api/chats/999999999", None),
    ):
        response = await http.request(method, path, json=body, headers=eve.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == {"error": "chat not found"}
    assert (await http.get(base + "/messages", headers=ada.headers)).json() == []


async def test_who_may_call(http: httpx.AsyncClient, cluster: VoxhubServer) -> None:
    assert (await http.get("/api/chats")).status_code == 401
    anon = {"Authorization": f"Bearer {cluster.token('visitor', 'anon')}"}
    response = await http.post("/api/chats", json={"member_ids": []}, headers=anon)
    assert response.status_code == 403 and "error" in response.json()
    forged = {"Authorization": "Bearer x.y.z"}
    assert (await http.get("/api/chats", headers=forged)).status_code == 401


async def test_bad_bodies_get_400(http: httpx.AsyncClient) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    bad_chats = [
        {"member_ids": [999999999]},  # unknown member
        {"member_ids": "bob"},
        {"member_ids": [True]},
        {"member_ids": [-1]},
        {"member_ids": [bob.id], "title": 5},
        [bob.id],
    ]
    for body in bad_chats:
        response = await http.post("/api/chats", json=body, headers=ada.headers)
        assert response.status_code == 400, body
        assert response.json()["error"]
    bad_messages = [
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 4001},
        {"text": 7},
        {},
        {"text": "ok", "client_msg_id": "x" * 65},
        {"text": "ok", "client_msg_id": 12},
    ]
    for body in bad_messages:
        response = await http.post(f"/api/chats/{chat_id}/messages", json=body, headers=ada.headers)
        assert response.status_code == 400, body
    broken = await http.post(
        f"/api/chats/{chat_id}/messages",
        content=b"{not json",
        headers={**ada.headers, "content-type": "application/json"},
    )
    assert broken.status_code == 400 and "error" in broken.json()
    for query in ("limit=0", "limit=201", "limit=abc", "after_id=-1", "before_id=x"):
        response = await http.get(f"/api/chats/{chat_id}/messages?{query}", headers=ada.headers)
        assert response.status_code == 400, query
    bad_mode = await http.put(f"/api/chats/{chat_id}/ai", json={"mode": "on"}, headers=ada.headers)
    assert bad_mode.status_code == 400
    assert (await post(http, ada, chat_id, "x" * 4000)).status_code == 201  # the limit itself


async def test_messages_are_idempotent_and_paged_oldest_first(http: httpx.AsyncClient) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    first = await post(http, ada, chat_id, "hello", client_msg_id="c-1")
    assert first.status_code == 201
    message = first.json()
    assert message["sender_id"] == ada.id and message["chat_id"] == chat_id
    assert message["ai_generated"] is False and message["client_msg_id"] == "c-1"
    retry = await post(http, ada, chat_id, "hello", client_msg_id="c-1")
    assert retry.status_code == 201 and retry.json() == message
    assert retry.headers["Idempotent-Replayed"] == "true"
    ids = [message["id"]]
    for i in range(5):
        ids.append((await post(http, bob if i % 2 else ada, chat_id, f"m{i}")).json()["id"])
    everything = (await http.get(f"/api/chats/{chat_id}/messages", headers=bob.headers)).json()
    assert [m["id"] for m in everything] == ids  # no duplicate of the retried message
    page = await http.get(
        f"/api/chats/{chat_id}/messages?after_id={ids[1]}&limit=2", headers=bob.headers
    )
    assert [m["id"] for m in page.json()] == ids[2:4]
    older = await http.get(
        f"/api/chats/{chat_id}/messages?before_id={ids[4]}&limit=2", headers=bob.headers
    )
    assert [m["id"] for m in older.json()] == ids[2:4]


async def test_ai_modes_need_a_configured_ai(
    http: httpx.AsyncClient, cluster: VoxhubServer
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    for mode in ("advice", "autoreply"):
        response = await http.put(
            f"/api/chats/{chat_id}/ai", json={"mode": mode}, headers=ada.headers
        )
        assert response.status_code == 503
        assert response.json() == {"error": "AI is not configured"}
    off = await http.put(f"/api/chats/{chat_id}/ai", json={"mode": "off"}, headers=ada.headers)
    assert off.status_code == 200 and off.json()["id"] == chat_id
    assert (await post(http, ada, chat_id, "counted")).status_code == 201
    metrics = (await http.get("/metrics")).text
    sent = re.search(r'voxhub_chat_messages_total\{source="rest"\} (\S+)', metrics)
    assert sent and float(sent.group(1)) >= 1
