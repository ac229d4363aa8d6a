"""Messenger test helpers: registered users through the real /api/auth/register, chats, sockets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import httpx

from app.auth.tokens import issue_token
from tests.fixtures.voxhub_server import TEST_JWT_SECRET
from tests.ws.client import WsClient


@dataclass(frozen=True)
class User:
    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(http: httpx.AsyncClient) -> User:
    name = "u" + uuid.uuid4().hex[:12]
    response = await http.post(
        "/api/auth/register", json={"username": name, "password": "correct-horse-42"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return User(body["user"]["id"], body["access_token"])


async def top_up(http: httpx.AsyncClient, user: User, tokens: int) -> int:
    """Credit `user` through seed 000's `PUT /api/tokens` (a service token); the new balance.
    AI work is paid from the balance of the member who turned it on."""
    service = issue_token(TEST_JWT_SECRET, "messenger-tests", "service", 600)
    response = await http.put(
        "/api/tokens",
        json={"user_id": user.id, "tokens_to_add": tokens},
        headers={"Authorization": f"Bearer {service}"},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["data"]["new_balance"])


async def balance(http: httpx.AsyncClient, user: User) -> int:
    response = await http.get("/api/tokens", headers=user.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["data"]["token_balance"])


async def create_chat(http: httpx.AsyncClient, owner: User, *others: User) -> dict[str, Any]:
    response = await http.post(
        "/api/chats", json={"member_ids": [u.id for u in others]}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def post(
    http: httpx.AsyncClient, user: User, chat_id: int, text: str, **extra: Any
) -> httpx.Response:
    return await http.post(
        f"/api/chats/{chat_id}/messages", json={"text": text, **extra}, headers=user.headers
    )


async def socket_for(ws_url: str, user: User, avoid_worker: str | None = None) -> WsClient:
    """A socket of `user`, on a worker other than `avoid_worker` when one is given."""
    for _ in range(40):
        client = await WsClient.connect(ws_url, token=user.token)
        if avoid_worker is None or client.worker != avoid_worker:
            return client
        await client.close()
    raise AssertionError("every socket landed on one worker")


# Frames read past while looking for another type, per socket, in arrival order.
_skipped: WeakKeyDictionary[WsClient, list[dict[str, Any]]] = WeakKeyDictionary()


async def frame_of(client: WsClient, kind: str, timeout: float = 10.0) -> dict[str, Any]:
    """The oldest unread frame of `kind`; frames of other types stay readable in order
    (a sender's `chat.message` may arrive before or after its `chat.ack`)."""
    skipped = _skipped.setdefault(client, [])
    for index, frame in enumerate(skipped):
        if frame.get("type") == kind:
            return skipped.pop(index)
    while True:
        frame = await client.next(timeout)
        if frame.get("type") == kind:
            return frame
        skipped.append(frame)
