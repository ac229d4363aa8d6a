"""Messages per sender and per chat (issue 18, item 5): every message may queue a paid model
call per AI member, so REST and /ws posts are limited alike, on the two-worker cluster with
real Redis and PostgreSQL (defaults: 30 a minute per sender, 120 per chat)."""

from __future__ import annotations

import httpx

from tests.fixtures.voxhub_server import VoxhubServer
from tests.messenger.helpers import create_chat, post, register, socket_for

PER_SENDER, PER_CHAT = 30, 120


async def test_a_sender_is_limited_over_rest_and_socket_and_retries_still_answer(
    http: httpx.AsyncClient, cluster: VoxhubServer
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    for n in range(PER_SENDER):
        assert (await post(http, ada, chat_id, f"m{n}", client_msg_id=f"c{n}")).status_code == 201
    refused = await post(http, ada, chat_id, "one too many")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert refused.json() == {"error": "too many messages; slow down"}
    # A retry of an accepted message is answered, limit or not.
    replay = await post(http, ada, chat_id, "m3", client_msg_id="c3")
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    socket = await socket_for(cluster.ws_url, ada)
    try:
        await socket.send({"type": "chat.send", "payload": {"chat_id": chat_id, "text": "ws"}})
        error = await socket.expect_error("rate_limited")
        assert error["payload"]["message"] == "too many messages; slow down"
    finally:
        await socket.close()
    # Bob is another sender: the chat is far from its own limit.
    assert (await post(http, bob, chat_id, "hi")).status_code == 201


async def test_a_chat_is_limited_whoever_sends(http: httpx.AsyncClient) -> None:
    senders = [await register(http) for _ in range(PER_CHAT // PER_SENDER + 1)]
    chat_id = (await create_chat(http, *senders))["id"]
    for sender in senders[:-1]:
        for n in range(PER_SENDER):
            assert (await post(http, sender, chat_id, f"m{n}")).status_code == 201
    refused = await post(http, senders[-1], chat_id, "first of mine")
    assert refused.status_code == 429
    other_chat = (await create_chat(http, senders[-1], senders[0]))["id"]
    assert (await post(http, senders[-1], other_chat, "elsewhere")).status_code == 201
