"""What AI work costs and who pays (issue 18, item 5): API workers, the Redis Stream, a real
`voxhub ai-worker`, the fake OpenAI server through the real SDK (15 tokens a call), and the
accounts ledger, on real Redis and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx

from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.voxhub_server import VoxhubServer
from tests.messenger.ai.conftest import AiWorkerProcess
from tests.messenger.helpers import (
    balance,
    create_chat,
    frame_of,
    post,
    register,
    socket_for,
    top_up,
)

CALL_TOKENS = 15  # the fake server's usage.total_tokens


async def test_ai_work_is_charged_to_the_member_who_turned_it_on(
    http: httpx.AsyncClient, ai_server: VoxhubServer, ai_worker: AiWorkerProcess
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    await top_up(http, bob, 100)
    on = await http.put(f"/api/chats/{chat_id}/ai", json={"mode": "advice"}, headers=bob.headers)
    assert on.status_code == 200, on.text
    bob_ws = await socket_for(ai_server.ws_url, bob)
    try:
        message = (await post(http, ada, chat_id, "lunch?")).json()
        await frame_of(bob_ws, "ai.advice", timeout=20)
    finally:
        await bob_ws.close()
    assert await balance(http, bob) == 100 - CALL_TOKENS
    assert await balance(http, ada) == 0  # the sender pays nothing for Bob's AI
    history = await http.get("/api/tokens/history", headers=bob.headers)
    spend = history.json()[0]
    assert spend["delta"] == -CALL_TOKENS and spend["reason"] == "spend"
    assert spend["details"] == {
        "ai": "advice",
        "chat_id": chat_id,
        "message_id": message["id"],
        "tokens": CALL_TOKENS,
    }


async def test_a_balance_that_cannot_pay_gets_a_clear_error_and_no_model_call(
    http: httpx.AsyncClient, ai_server: VoxhubServer, fake: FakeOpenAI, ai_worker: AiWorkerProcess
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    broke = await http.put(f"/api/chats/{chat_id}/ai", json={"mode": "advice"}, headers=bob.headers)
    assert broke.status_code == 402 and broke.json()["error"] == "Insufficient tokens"

    await top_up(http, bob, 10)  # less than one call costs
    on = await http.put(f"/api/chats/{chat_id}/ai", json={"mode": "advice"}, headers=bob.headers)
    assert on.status_code == 200
    bob_ws = await socket_for(ai_server.ws_url, bob)
    try:
        await post(http, ada, chat_id, "first")
        await frame_of(bob_ws, "ai.advice", timeout=20)
        assert await balance(http, bob) == 0  # the call took what was left
        calls = fake.responses.count
        second = (await post(http, ada, chat_id, "second")).json()
        refusal = await frame_of(bob_ws, "ai.error", timeout=20)
    finally:
        await bob_ws.close()
    assert refusal["payload"] == {
        "chat_id": chat_id,
        "message_id": second["id"],
        "kind": "advice",
        "code": "insufficient_tokens",
        "message": "Insufficient tokens",
    }
    await asyncio.sleep(0.5)
    assert fake.responses.count == calls  # nobody paid for a second call, none was made
    assert await balance(http, bob) == 0


async def test_ai_members_per_chat_are_capped(http: httpx.AsyncClient) -> None:
    owner, *others = [await register(http) for _ in range(3)]
    chat_id = (await create_chat(http, owner, *others))["id"]
    modes = []
    for member in (owner, *others):
        await top_up(http, member, 100)
        response = await http.put(
            f"/api/chats/{chat_id}/ai", json={"mode": "autoreply"}, headers=member.headers
        )
        modes.append(response.status_code)
    assert modes == [200, 200, 409]  # AI_MAX_MEMBERS_PER_CHAT=2
    # An AI member may switch between modes, and one turning it off frees a seat.
    switch = await http.put(
        f"/api/chats/{chat_id}/ai", json={"mode": "advice"}, headers=owner.headers
    )
    assert switch.status_code == 200
    await http.put(f"/api/chats/{chat_id}/ai", json={"mode": "off"}, headers=owner.headers)
    last = await http.put(
        f"/api/chats/{chat_id}/ai", json={"mode": "advice"}, headers=others[-1].headers
    )
    assert last.status_code == 200
