"""The embedded default (memory:// Redis, SQLite): the AI loop runs inside `voxhub serve`,
here through chat completions (AI_API=chat, as for Ollama, vLLM or llama.cpp)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.voxhub_server import VoxhubServer
from tests.messenger.helpers import create_chat, post, register, top_up


@pytest.fixture(scope="module")
def embedded_ai(fake: FakeOpenAI) -> Iterator[VoxhubServer]:
    server = VoxhubServer(
        workers=1,
        REDIS_URL="memory://",
        OPENAI_API_KEY="test",
        OPENAI_BASE_URL=fake.url + "/v1",
        AI_API="chat",
        AI_CLAIM_IDLE="1s",
    )
    server.start()
    yield server
    server.stop()


async def test_autoreply_in_the_embedded_process(
    embedded_ai: VoxhubServer, fake: FakeOpenAI
) -> None:
    fake.chat_completions.text = "Out of office until Monday."
    calls_before = fake.chat_completions.count
    async with httpx.AsyncClient(base_url=embedded_ai.url, timeout=10) as http:
        ada, bob = await register(http), await register(http)
        chat_id = (await create_chat(http, ada, bob))["id"]
        await top_up(http, bob, 1000)  # AI work is paid by the member who turned it on
        mode = await http.put(
            f"/api/chats/{chat_id}/ai", json={"mode": "autoreply"}, headers=bob.headers
        )
        assert mode.status_code == 200
        assert (await post(http, ada, chat_id, "ping")).status_code == 201
        async with asyncio.timeout(20):
            while True:
                history = (
                    await http.get(f"/api/chats/{chat_id}/messages", headers=ada.headers)
                ).json()
                if len(history) == 2:
                    break
                await asyncio.sleep(0.1)
    reply = history[1]
    assert reply["sender_id"] == bob.id and reply["ai_generated"] is True
    assert reply["text"] == "Out of office until Monday."
    assert fake.chat_completions.count == calls_before + 1
    system, user = fake.chat_completions.requests[-1]["messages"]
    assert system["role"] == "system" and "ping" in user["content"]
