"""Who can be put in a chat, leaving it, and the paged chat list (issue 18, item 12), on the
two-worker cluster with real Redis and PostgreSQL."""

from __future__ import annotations

import httpx

from tests.fixtures.voxhub_server import VoxhubServer
from tests.messenger.helpers import create_chat, frame_of, post, register, socket_for

CANNOT_ADD = {"error": "member_ids include users who cannot be added"}


async def test_a_blocked_and_an_unknown_id_get_the_same_error(http: httpx.AsyncClient) -> None:
    ada, bob, eve = await register(http), await register(http), await register(http)
    blocking = await http.post("/api/chats/blocks", json={"user_id": eve.id}, headers=bob.headers)
    assert blocking.status_code == 200 and blocking.json() == {"blocked_ids": [eve.id]}
    assert (await http.get("/api/chats/blocks", headers=bob.headers)).json() == {
        "blocked_ids": [eve.id]
    }

    blocked = await http.post("/api/chats", json={"member_ids": [bob.id]}, headers=eve.headers)
    unknown = await http.post("/api/chats", json={"member_ids": [2**62]}, headers=eve.headers)
    assert blocked.status_code == unknown.status_code == 400
    assert blocked.json() == unknown.json() == CANNOT_ADD
    assert str(bob.id) not in blocked.text
    # Bob's block holds against Eve only; unblocked, Eve may add him again.
    await create_chat(http, ada, bob)
    assert (
        await http.delete(f"/api/chats/blocks/{eve.id}", headers=bob.headers)
    ).status_code == 204
    await create_chat(http, eve, bob)

    # Blocking an id that names nobody is accepted like any other (it tells nothing).
    nobody = await http.post("/api/chats/blocks", json={"user_id": 2**62}, headers=bob.headers)
    assert nobody.status_code == 200 and nobody.json() == {"blocked_ids": []}
    for bad in ({"user_id": bob.id}, {"user_id": 2**64}, {"user_id": 0}, {}):
        refused = await http.post("/api/chats/blocks", json=bad, headers=bob.headers)
        assert refused.status_code == 400, bad


async def test_a_member_leaves_and_the_others_are_told(
    http: httpx.AsyncClient, cluster: VoxhubServer
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    watcher = await socket_for(cluster.ws_url, ada)
    try:
        left = await http.delete(f"/api/chats/{chat_id}/membership", headers=bob.headers)
        assert left.status_code == 204
        notice = await frame_of(watcher, "chat.member_left")
        assert notice["payload"] == {"chat_id": chat_id, "user_id": bob.id}
    finally:
        await watcher.close()
    # Bob is out: the chat is a 404 to him like any other not his, and he cannot post.
    assert (await http.get(f"/api/chats/{chat_id}", headers=bob.headers)).status_code == 404
    assert (await post(http, bob, chat_id, "still here?")).status_code == 404
    again = await http.delete(f"/api/chats/{chat_id}/membership", headers=bob.headers)
    assert again.status_code == 404
    members = (await http.get(f"/api/chats/{chat_id}", headers=ada.headers)).json()["members"]
    assert [m["user_id"] for m in members] == [ada.id]
    # The last member leaving removes the chat.
    last = await http.delete(f"/api/chats/{chat_id}/membership", headers=ada.headers)
    assert last.status_code == 204
    assert (await http.get(f"/api/chats/{chat_id}", headers=ada.headers)).status_code == 404


async def test_the_chat_list_is_paged_newest_first(http: httpx.AsyncClient) -> None:
    ada, bob = await register(http), await register(http)
    created = [(await create_chat(http, ada, bob))["id"] for _ in range(5)]
    newest_first = list(reversed(created))

    first = await http.get("/api/chats", params={"limit": 2}, headers=ada.headers)
    assert [chat["id"] for chat in first.json()] == newest_first[:2]
    rest = await http.get(
        "/api/chats", params={"limit": 10, "before_id": newest_first[1]}, headers=ada.headers
    )
    assert [chat["id"] for chat in rest.json()] == newest_first[2:]
    default = await http.get("/api/chats", headers=ada.headers)
    assert [chat["id"] for chat in default.json()] == newest_first
    for bad in ({"limit": 0}, {"limit": 201}, {"before_id": "x"}):
        response = await http.get("/api/chats", params=bad, headers=ada.headers)
        assert response.status_code == 400, bad
