"""Messages over /ws between sockets on two worker processes, and reconnect backfill."""

from __future__ import annotations

import httpx

from tests.fixtures.voxhub_server import VoxhubServer
from tests.messenger.helpers import create_chat, frame_of, post, register, socket_for
from tests.ws.client import WsClient, close_all


async def test_members_on_two_workers_and_a_second_device_get_every_message(
    http: httpx.AsyncClient, cluster: VoxhubServer
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    ada_phone = await socket_for(cluster.ws_url, ada)
    bob_socket = await socket_for(cluster.ws_url, bob, avoid_worker=ada_phone.worker)
    ada_laptop = await WsClient.connect(cluster.ws_url, token=ada.token)
    assert ada_phone.worker != bob_socket.worker
    try:
        await ada_phone.send(
            {
                "type": "chat.send",
                "payload": {"chat_id": chat_id, "text": "hi bob", "client_msg_id": "w-1"},
            }
        )
        ack = await frame_of(ada_phone, "chat.ack")
        message = ack["payload"]["message"]
        assert ack["payload"]["client_msg_id"] == "w-1"
        assert message["text"] == "hi bob" and message["sender_id"] == ada.id
        for socket in (ada_phone, bob_socket, ada_laptop):
            delivered = await frame_of(socket, "chat.message")
            assert delivered["payload"] == message

        # A REST-posted reply travels the same way, back across workers.
        reply = (await post(http, bob, chat_id, "hi ada")).json()
        for socket in (ada_phone, bob_socket, ada_laptop):
            assert (await frame_of(socket, "chat.message"))["payload"] == reply

        # A resent client_msg_id is acknowledged with the first message, delivered once.
        await ada_laptop.send(
            {
                "type": "chat.send",
                "payload": {"chat_id": chat_id, "text": "hi bob", "client_msg_id": "w-1"},
            }
        )
        assert (await frame_of(ada_laptop, "chat.ack"))["payload"]["message"] == message
        await bob_socket.silent(0.5)
    finally:
        await close_all([ada_phone, bob_socket, ada_laptop])


async def test_reconnect_backfill_returns_exactly_the_missed_messages(
    http: httpx.AsyncClient, cluster: VoxhubServer
) -> None:
    ada, bob = await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    bob_socket = await WsClient.connect(cluster.ws_url, token=bob.token)
    ada_socket = await WsClient.connect(cluster.ws_url, token=ada.token)
    try:
        seen = (await post(http, ada, chat_id, "before")).json()
        assert (await frame_of(bob_socket, "chat.message"))["payload"]["id"] == seen["id"]
        await bob_socket.close()
        missed = []
        for i in range(3):
            await ada_socket.send(
                {"type": "chat.send", "payload": {"chat_id": chat_id, "text": f"missed {i}"}}
            )
            missed.append((await frame_of(ada_socket, "chat.ack"))["payload"]["message"])
        bob_socket = await WsClient.connect(cluster.ws_url, token=bob.token)
        backfill = await http.get(
            f"/api/chats/{chat_id}/messages?after_id={seen['id']}", headers=bob.headers
        )
        assert backfill.json() == missed
        await bob_socket.silent(0.3)  # nothing is replayed on the socket itself
    finally:
        await close_all([ada_socket, bob_socket])


async def test_bad_sends_get_error_frames_and_the_socket_stays_open(
    http: httpx.AsyncClient, cluster: VoxhubServer
) -> None:
    ada, bob, eve = await register(http), await register(http), await register(http)
    chat_id = (await create_chat(http, ada, bob))["id"]
    eve_socket = await WsClient.connect(cluster.ws_url, token=eve.token)
    anon = await WsClient.connect(cluster.ws_url)
    try:
        for payload, code in (
            (None, "bad_request"),
            ({"chat_id": "one", "text": "x"}, "bad_request"),
            ({"chat_id": chat_id, "text": ""}, "bad_request"),
            ({"chat_id": chat_id, "text": "x" * 4001}, "bad_request"),
            ({"chat_id": chat_id, "text": "let me in"}, "not_found"),
        ):
            await eve_socket.send({"type": "chat.send", "payload": payload})
            await eve_socket.expect_error(code)
        await anon.send({"type": "chat.send", "payload": {"chat_id": chat_id, "text": "hi"}})
        await anon.expect_error("forbidden")
        own = (await create_chat(http, eve, ada))["id"]
        await eve_socket.send({"type": "chat.send", "payload": {"chat_id": own, "text": "ok"}})
        assert (await frame_of(eve_socket, "chat.ack"))["payload"]["message"]["text"] == "ok"
        history = await http.get(f"/api/chats/{chat_id}/messages", headers=ada.headers)
        assert history.json() == []
    finally:
        await close_all([eve_socket, anon])
