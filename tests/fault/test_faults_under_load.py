"""Faults under steady load: chat messages, roulette saves, token spends and random-chat
matching run against two workers on their own Redis and PostgreSQL while, in turn, an API
worker is SIGKILLed, Redis is down for two seconds and PostgreSQL is down for two seconds.

Afterwards every acknowledged message and save is stored, the ledger sums exactly (one row per
acknowledged spend, none twice), sockets have reconnected and resumed (matched again, live
messages again), and after each fault the service answered within 10 s of the dependency's
return."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.accounts.client import Api, token_for, usage
from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer
from tests.ws.client import WsClient

RECOVERY_SECONDS = 10
OUTAGE_SECONDS = 2
STARTING_BALANCE = 1_000_000
SERVICE = token_for("fault-billing", "service")


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def faulty(own_redis: RedisServer, own_postgres: PostgresServer) -> Iterator[VoxhubServer]:
    server = VoxhubServer(
        workers=2,
        REDIS_URL=own_redis.url,
        DATABASE_URL=own_postgres.create_database(),
        RATE_LIMIT_PER_MINUTE="1000000",
        # The load posts 20 messages a second from one sender into one chat.
        CHAT_MESSAGES_PER_MINUTE="100000",
        CHAT_MESSAGES_PER_MINUTE_PER_CHAT="100000",
        HEARTBEAT_INTERVAL="1s",
        CONNECTION_TIMEOUT="3s",
        CLEANUP_INTERVAL="1s",
    )
    server.start()
    yield server
    server.stop()


@dataclass
class Load:
    """What the load got acknowledged, to hold the stores to afterwards."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    messages: list[str] = field(default_factory=list)
    saves: list[int] = field(default_factory=list)
    spends: list[str] = field(default_factory=list)
    matches: list[float] = field(default_factory=list)
    failures: int = 0


async def acknowledged(
    send: Callable[[], Awaitable[httpx.Response]], ok: set[int], load: Load, deadline: float
) -> httpx.Response | None:
    """Resend an idempotent request until it is acknowledged (or `deadline`): an answer lost to
    a fault is retried with the same key, as a careful client does."""
    while time.monotonic() < deadline:
        try:
            response = await send()
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code in ok:
            return response
        if response is not None and response.status_code < 500 and response.status_code != 429:
            raise AssertionError(f"refused: {response.status_code} {response.text}")
        load.failures += 1
        await asyncio.sleep(0.2)
    return None


async def chat_load(http: httpx.AsyncClient, chat_id: int, headers: dict, load: Load) -> None:
    n = 0
    while not load.stop.is_set():
        client_msg_id = f"m-{n}"
        body = {"text": f"message {n}", "client_msg_id": client_msg_id}
        sent = await acknowledged(
            lambda body=body: http.post(
                f"/api/chats/{chat_id}/messages", json=body, headers=headers
            ),
            {200, 201},
            load,
            time.monotonic() + 30,
        )
        if sent is not None:
            load.messages.append(client_msg_id)
        n += 1
        await asyncio.sleep(0.05)


async def roulette_load(http: httpx.AsyncClient, key: str, load: Load) -> None:
    """Saves are not retried (a retry of one whose answer was lost could store it twice), so
    only what was acknowledged is held to account."""
    n = 0
    while not load.stop.is_set():
        number = n % 37
        try:
            response = await http.post("/api/roulette/save", json={"key": key, "number": number})
            if response.status_code == 200:
                load.saves.append(number)
            else:
                assert response.status_code >= 500 or response.status_code == 429, response.text
                load.failures += 1
        except httpx.TransportError:
            load.failures += 1
        n += 1
        await asyncio.sleep(0.05)


async def spend_load(http: httpx.AsyncClient, user_id: int, load: Load) -> None:
    n = 0
    while not load.stop.is_set():
        key = f"spend-{uuid.uuid4().hex}"
        body = {"user_id": user_id, "usage": usage(10)}
        headers = {**SERVICE, "Idempotency-Key": key}
        sent = await acknowledged(
            lambda body=body, headers=headers: http.patch(
                "/api/tokens", json=body, headers=headers
            ),
            {200},
            load,
            time.monotonic() + 60,  # never abandoned: its charge may have committed
        )
        assert sent is not None, "a spend was never acknowledged"
        load.spends.append(key)
        n += 1
        await asyncio.sleep(0.1)


async def connect(server: VoxhubServer, token: str | None, load: Load) -> WsClient:
    while True:
        try:
            return await WsClient.connect(server.ws_url, token=token)
        except (OSError, ConnectionClosed, TimeoutError, AssertionError):
            load.failures += 1
            await asyncio.sleep(0.3)


async def matching_load(server: VoxhubServer, load: Load) -> None:
    """Two strangers who keep finding each other; a dropped socket reconnects and asks again."""
    tokens: list[str | None] = [None, None]
    clients: list[WsClient | None] = [None, None]
    while not load.stop.is_set():
        try:
            for index in (0, 1):
                if clients[index] is None:
                    client = await connect(server, tokens[index], load)
                    tokens[index], clients[index] = client.token, client
            first, second = clients
            assert first is not None and second is not None
            await first.send({"type": "find_match"})
            await second.send({"type": "find_match"})
            for client in (first, second):
                while (await client.next(timeout=5))["type"] != "match_found":
                    pass
            load.matches.append(time.monotonic())
            await asyncio.sleep(0.3)
        except (ConnectionClosed, TimeoutError, OSError):
            load.failures += 1
            for index, client in enumerate(clients):
                if client is not None and client.ws.close_code is not None:
                    clients[index] = None
    for client in clients:
        if client is not None:
            await client.close()


async def recovered_within(http: httpx.AsyncClient, since: float) -> float:
    """Seconds from `since` until readiness and a write both succeed again."""
    while True:
        try:
            ready = await http.get("/health")
            saved = await http.post("/api/roulette/save", json={"key": "probe", "number": 1})
            if ready.status_code == 200 and saved.status_code == 200:
                return time.monotonic() - since
        except httpx.TransportError:
            pass
        assert time.monotonic() - since < RECOVERY_SECONDS * 3, "the service never recovered"
        await asyncio.sleep(0.1)


async def all_messages(http: httpx.AsyncClient, chat_id: int, headers: dict) -> list[dict]:
    """Every message of the chat: from `after_id=0`, page by page (200 a page, oldest first)."""
    messages: list[dict] = []
    while True:
        after = messages[-1]["id"] if messages else 0
        response = await http.get(
            f"/api/chats/{chat_id}/messages",
            params={"limit": 200, "after_id": after},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        messages.extend(page)
        if len(page) < 200:
            return messages


def is_subsequence(wanted: list[int], within: list[int]) -> bool:
    remaining = iter(within)
    return all(any(item == other for other in remaining) for item in wanted)


async def test_acknowledged_work_survives_each_fault(
    faulty: VoxhubServer, own_redis: RedisServer, own_postgres: PostgresServer
) -> None:
    api = Api(faulty)
    sender_id, sender = api.create_user()
    reader_id, reader = api.create_user()
    spender_id, _ = api.create_user(balance=STARTING_BALANCE)
    key = f"fault-{uuid.uuid4().hex[:8]}"
    load = Load()
    async with httpx.AsyncClient(base_url=faulty.url, timeout=10) as http:
        chat = (
            await http.post("/api/chats", json={"member_ids": [reader_id]}, headers=sender)
        ).json()
        workers = [
            asyncio.create_task(chat_load(http, chat["id"], sender, load)),
            asyncio.create_task(roulette_load(http, key, load)),
            asyncio.create_task(spend_load(http, spender_id, load)),
            asyncio.create_task(matching_load(faulty, load)),
        ]
        await asyncio.sleep(3)
        recoveries: dict[str, float] = {}

        os.kill(faulty.worker_pids()[0], signal.SIGKILL)
        recoveries["worker SIGKILL"] = await recovered_within(http, time.monotonic())
        await asyncio.sleep(3)

        own_redis.stop()
        await asyncio.sleep(OUTAGE_SECONDS)
        own_redis.start()
        recoveries["Redis restart"] = await recovered_within(http, time.monotonic())
        await asyncio.sleep(3)

        await asyncio.to_thread(own_postgres.pause)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(own_postgres.resume)
        recoveries["PostgreSQL restart"] = await recovered_within(http, time.monotonic())
        last_fault_over = time.monotonic()
        await asyncio.sleep(4)

        load.stop.set()
        await asyncio.gather(*workers)

        assert all(seconds <= RECOVERY_SECONDS for seconds in recoveries.values()), recoveries
        assert load.matches and load.matches[-1] > last_fault_over, "matching never resumed"

        stored = await all_messages(http, chat["id"], reader)
        assert {message["client_msg_id"] for message in stored} >= set(load.messages)
        assert len({message["client_msg_id"] for message in stored}) == len(stored)

        history = (await http.get(f"/api/roulette/{key}")).json()["history"]
        assert len(history) >= len(load.saves) > 0
        assert is_subsequence(load.saves, history)  # oldest first, in the order acknowledged

        ledger = (
            await http.get(
                "/api/tokens/history", params={"user_id": spender_id, "limit": 500}, headers=SERVICE
            )
        ).json()
        spends = [row for row in ledger if row["idempotency_key"] in set(load.spends)]
        assert sorted(row["idempotency_key"] for row in spends) == sorted(load.spends)
        balance = api.balance(spender_id)
        assert sum(row["delta"] for row in ledger) == balance
        assert balance == STARTING_BALANCE + sum(row["delta"] for row in spends)

        # a socket after it all still hears live messages
        listener = await WsClient.connect(faulty.ws_url, token=reader["Authorization"][7:])
        try:
            last = await http.post(
                f"/api/chats/{chat['id']}/messages",
                json={"text": "after the storm", "client_msg_id": "last"},
                headers=sender,
            )
            assert last.status_code == 201, last.text
            while (frame := await listener.next(timeout=10))["type"] != "chat.message":
                pass
            assert frame["payload"]["text"] == "after the storm"
        finally:
            await listener.close()
    print(
        f"recoveries: {recoveries}; acknowledged: {len(load.messages)} messages, "
        f"{len(load.saves)} saves, {len(load.spends)} spends, {len(load.matches)} matches; "
        f"{load.failures} failed attempts"
    )
