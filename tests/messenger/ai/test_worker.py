"""AI advice and autoreply end to end: API workers, Redis Stream, `voxhub ai-worker`, the
fake OpenAI server through the real SDK, and delivery over /ws."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from redis.asyncio import Redis

from app.messenger.ai.jobs import DEAD_STREAM
from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer
from tests.messenger.ai.conftest import AI_MAX_ATTEMPTS, AiWorkerProcess
from tests.messenger.helpers import (
    User,
    create_chat,
    frame_of,
    post,
    register,
    socket_for,
    top_up,
)
from tests.ws.client import WsClient, close_all


async def _set_mode(http: httpx.AsyncClient, user: User, chat_id: int, mode: str) -> None:
    """AI on needs tokens to pay for it: the member gets some first."""
    if mode != "off":
        await top_up(http, user, 1000)
    response = await http.put(f"/api/chats/{chat_id}/ai", json={"mode": mode}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert {"user_id": user.id, "ai_mode": mode} in response.json()["members"]


async def _until(fetch, predicate, timeout: float = 20.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            value = await fetch()
            if predicate(value):
                return value
            await asyncio.sleep(0.1)


async def _get(http: httpx.AsyncClient, user: User, path: str) -> Any:
    response = await http.get(path, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _types_within(client: WsClient, seconds: float) -> list[str]:
    await asyncio.sleep(seconds)
    types = []
    while not client.frames.empty():
        types.append(client.frames.get_nowait()["type"])
    return types


def _metric(text: str, pattern: str) -> float:
    match = re.search(r"^" + pattern + r" (\S+)$", text, re.MULTILINE)
    assert match, pattern
    return float(match.group(1))


async def test_advice_reaches_only_the_advised_member(
    http: httpx.AsyncClient, ai_server: VoxhubServer, fake: FakeOpenAI, ai_worker: AiWorkerProcess
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    await _set_mode(http, bob, chat_id, "advice")
    ada_ws = await socket_for(ai_server.ws_url, ada)
    bob_ws = await socket_for(ai_server.ws_url, bob, avoid_worker=ada_ws.worker)
    fake.responses.text = "Say yes, and suggest Friday."
    try:
        message = (await post(http, ada, chat_id, "shall we meet this week?")).json()
        advice = await frame_of(bob_ws, "ai.advice", timeout=20)
        payload = advice["payload"]
        assert (payload["chat_id"], payload["message_id"]) == (chat_id, message["id"])
        assert payload["text"] == "Say yes, and suggest Friday."
        assert "ai.advice" not in await _types_within(ada_ws, 1.0)
    finally:
        await close_all([ada_ws, bob_ws])
    request = fake.responses.requests[-1]
    assert "shall we meet this week?" in request["input"] and "advise" in request["instructions"]
    stored = await _get(http, bob, f"/api/chats/{chat_id}/advice")
    assert [(a["message_id"], a["text"]) for a in stored] == [(message["id"], payload["text"])]
    assert await _get(http, ada, f"/api/chats/{chat_id}/advice") == []
    history = await _get(http, ada, f"/api/chats/{chat_id}/messages")
    assert [m["id"] for m in history] == [message["id"]]  # advice is not a chat message
    metrics = await asyncio.to_thread(ai_worker.metrics)
    assert _metric(metrics, r'voxhub_ai_jobs_total\{kind="advice",outcome="answered"\}') >= 1
    assert _metric(metrics, r"voxhub_ai_latency_seconds_count") >= 1
    assert _metric(metrics, r"voxhub_ai_stream_lag") >= 0


async def test_autoreply_appears_as_the_member_and_two_autoreplies_do_not_loop(
    http: httpx.AsyncClient, ai_server: VoxhubServer, fake: FakeOpenAI, ai_worker: AiWorkerProcess
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    await _set_mode(http, bob, chat_id, "autoreply")
    await _set_mode(http, ada, chat_id, "autoreply")
    fake.responses.text = "Bob is away; he will call you back."
    ada_ws = await socket_for(ai_server.ws_url, ada)
    calls_before = fake.responses.count
    try:
        question = (await post(http, ada, chat_id, "are you there?")).json()
        assert (await frame_of(ada_ws, "chat.message"))["payload"]["id"] == question["id"]
        reply = (await frame_of(ada_ws, "chat.message", timeout=20))["payload"]
        assert reply["sender_id"] == bob.id and reply["ai_generated"] is True
        assert reply["text"] == "Bob is away; he will call you back."
        # Ada's autoreply must not answer Bob's AI message: nothing more arrives.
        await asyncio.sleep(2.5)
        assert "chat.message" not in await _types_within(ada_ws, 0)
    finally:
        await ada_ws.close()
    history = await _get(http, bob, f"/api/chats/{chat_id}/messages")
    assert [(m["sender_id"], m["ai_generated"]) for m in history] == [
        (ada.id, False),
        (bob.id, True),
    ]
    assert fake.responses.count == calls_before + 1
    api_metrics = (await http.get("/metrics")).text
    assert _metric(api_metrics, r'voxhub_chat_messages_total\{source="rest"\}') >= 1
    worker_metrics = await asyncio.to_thread(ai_worker.metrics)
    assert _metric(worker_metrics, r'voxhub_chat_messages_total\{source="ai"\}') == 1


async def test_killed_worker_job_is_finished_by_another_exactly_once(
    http: httpx.AsyncClient, ai_server: VoxhubServer, fake: FakeOpenAI
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    await _set_mode(http, bob, chat_id, "advice")
    first = AiWorkerProcess(ai_server, "doomed")
    calls_before = fake.responses.count
    fake.responses.hold(1)
    message = (await post(http, ada, chat_id, "what do you think?")).json()
    await asyncio.to_thread(fake.responses.wait_for, lambda route: route.held == 1, 20)
    first.kill()  # mid-request: the job stays pending in the stream
    second = AiWorkerProcess(ai_server, "rescuer")
    try:
        advice_path = f"/api/chats/{chat_id}/advice"
        stored = await _until(lambda: _get(http, bob, advice_path), lambda items: len(items) == 1)
        assert stored[0]["message_id"] == message["id"]
        # Let the dead worker's request finish at the server: nobody is left to store it.
        fake.responses.release()
        await asyncio.to_thread(fake.responses.wait_for, lambda route: route.held == 0, 10)
        await asyncio.sleep(2.5)  # longer than AI_CLAIM_IDLE: any stray reclaim would show
        assert await _get(http, bob, advice_path) == stored
        assert fake.responses.count == calls_before + 2
        assert (
            _metric(
                await asyncio.to_thread(second.metrics),
                r'voxhub_ai_jobs_total\{kind="advice",outcome="answered"\}',
            )
            == 1
        )
    finally:
        assert second.stop() == 0


async def test_failing_model_sends_the_job_to_the_dead_letter_stream(
    http: httpx.AsyncClient,
    ai_redis: RedisServer,
    fake: FakeOpenAI,
    ai_worker: AiWorkerProcess,
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    await _set_mode(http, bob, chat_id, "advice")
    fake.responses.fail(500)
    calls_before = fake.responses.count
    message = (await post(http, ada, chat_id, "help?")).json()
    redis = Redis.from_url(ai_redis.url, decode_responses=True)
    try:

        async def dead_entries() -> list[dict[str, str]]:
            return [
                f
                for _id, f in await redis.xrange(DEAD_STREAM)
                if f["message_id"] == str(message["id"])
            ]

        [dead] = await _until(dead_entries, bool, timeout=30)
    finally:
        await redis.aclose()
    assert dead["kind"] == "advice" and dead["user_id"] == str(bob.id)
    assert dead["deliveries"] == str(AI_MAX_ATTEMPTS)
    assert "InternalServerError" in dead["error"] and "500" in dead["error"]
    assert fake.responses.count == calls_before + AI_MAX_ATTEMPTS
    assert await _get(http, bob, f"/api/chats/{chat_id}/advice") == []
    metrics = await asyncio.to_thread(ai_worker.metrics)
    assert _metric(metrics, r"voxhub_ai_dead_letters_total") == 1
    assert (
        _metric(metrics, r'voxhub_ai_jobs_total\{kind="advice",outcome="failed"\}')
        == AI_MAX_ATTEMPTS
    )


async def test_a_job_stored_while_redis_is_down_is_answered_once_it_returns(
    http: httpx.AsyncClient,
    ai_server: VoxhubServer,
    ai_redis: RedisServer,
    fake: FakeOpenAI,
    ai_worker: AiWorkerProcess,
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    await _set_mode(http, bob, chat_id, "advice")
    fake.responses.text = "Parked, then answered."
    ai_redis.kill()
    try:
        response = await post(http, ada, chat_id, "are you still there?")
        assert response.status_code == 201, response.text
        message = response.json()
    finally:
        ai_redis.start()
    # The restarted Redis knows nothing of the job: only the database outbox can bring it back.
    advice = await _until(
        lambda: _get(http, bob, f"/api/chats/{chat_id}/advice"), lambda rows: rows, timeout=40
    )
    assert [(a["message_id"], a["text"]) for a in advice] == [
        (message["id"], "Parked, then answered.")
    ]
