"""A WebSocket fuzzer against two workers: random, malformed, deeply nested, oversized, binary
and unknown frames, and random payloads at every frame type the gateway routes, from many
sockets at once. No worker dies, nothing is logged as a traceback, every malformed frame is
answered with an error frame, and every socket but the one that sent an oversized frame stays
open and answering."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import httpx

from tests.fault.test_openapi_fuzz import tracebacks
from tests.fixtures.voxhub_server import VoxhubServer
from tests.ws.client import WsClient, connect_spread

# Every type a domain routes (tests/ws/test_gateway.py checks the gateway's own two).
ROUTED_TYPES = [
    "ping", "pong", "find_match", "disconnect", "get_ice_servers", "offer", "answer",
    "ice_candidate", "call_start", "call_accept", "call_reject", "call_end", "getHistory",
    "saveNumber", "updateHistory", "join", "update", "add", "remove", "subscribe",
    "unsubscribe", "chat.send",
]  # fmt: skip
# Fields some dialects read at the top level of a frame rather than in `payload`.
TOP_LEVEL_FIELDS = ["key", "number", "history", "version", "index", "to", "chat_id", "text"]
# Frames that must each be answered with an error frame, whatever socket sends them.
MALFORMED: list[str | bytes] = [
    "{",
    "null",
    "[]",
    '"text"',
    "17",
    "{}",
    '{"type": 5}',
    '{"type": ""}',
    '{"type": null}',
    json.dumps({"type": "x" * 500}),
    json.dumps({"type": "no_such_type", "payload": {}}),
    '{"type": "chat.send", "payload": {"text": "a\\u0000b"}}',
    '{"type": "join", "key": "\\udbd9"}',
    "[" * 30_000 + "]" * 30_000,  # deep, yet within WS_MAX_MESSAGE_BYTES
    b"\x00\x01binary",
    b"",
]
SOCKETS_PER_WORKER = 6
FRAMES_PER_SOCKET = 120


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """JSON of every kind, at the edges: huge and negative numbers, odd text, nesting."""
    choice = rng.randrange(10 if depth < 3 else 6)
    if choice == 0:
        return rng.choice([0, -1, 1, 36, 37, 2**31, 2**63, -(2**64), 10**30])
    if choice == 1:
        return rng.choice([0.5, -0.0, 1e308, 17.0, 3.14])
    if choice == 2:
        return rng.choice([True, False, None])
    if choice in (3, 4, 5):
        return rng.choice(["", "00", "0", "x" * 2000, "😀", "\u202e", "a\nb", "<script>", "room"])
    if choice in (6, 7):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["type", "payload", "sdp", "candidate", "key", "number", "text", "to", "reason"]
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def random_frame(rng: random.Random) -> str:
    frame: dict[str, Any] = {"type": rng.choice(ROUTED_TYPES)}
    if rng.random() < 0.8:
        frame["payload"] = random_value(rng)
    for field in rng.sample(TOP_LEVEL_FIELDS, rng.randrange(3)):
        frame[field] = random_value(rng)
    return json.dumps(frame)


async def answered(client: WsClient, frame: str | bytes, must_error: bool) -> None:
    """Send `frame`, then a `ping`: frames are handled in order, so the last `pong` proves the
    socket and its worker survived the frame, and an error, if one is owed, came before it."""
    await client.ws.send(frame)
    await client.ws.send('{"type": "ping"}')
    pongs = 2 if isinstance(frame, str) and frame.startswith('{"type": "ping"') else 1
    seen: list[dict[str, Any]] = []
    while pongs:
        try:
            received = await client.next(timeout=15)
        except TimeoutError:
            closed = client.ws.close_code
            raise AssertionError(f"no pong after {frame[:300]!r} (closed: {closed})") from None
        if received.get("type") == "pong":
            pongs -= 1
        else:
            seen.append(received)
    if must_error:
        assert any(item.get("type") == "error" for item in seen), (frame[:200], seen)


async def fuzz_socket(client: WsClient, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(FRAMES_PER_SOCKET):
        if rng.random() < 0.25:
            await answered(client, rng.choice(MALFORMED), must_error=True)
        else:
            await answered(client, random_frame(rng), must_error=False)


async def test_no_frame_kills_a_socket_or_a_worker(fuzz_cluster: VoxhubServer) -> None:
    by_worker = await connect_spread(fuzz_cluster.ws_url, SOCKETS_PER_WORKER)
    clients = [client for group in by_worker.values() for client in group]
    try:
        await asyncio.gather(*(fuzz_socket(client, seed) for seed, client in enumerate(clients)))
        oversized = await WsClient.connect(fuzz_cluster.ws_url)
        await oversized.ws.send(json.dumps({"type": "ping", "payload": "x" * 70_000}))
        assert await oversized.closed_with() == 1009
        for client in clients:  # all still open, on both workers
            await answered(client, '{"type": "get_ice_servers"}', must_error=False)
    finally:
        for client in clients:
            await client.close()
    assert len(by_worker) == 2
    again = await connect_spread(fuzz_cluster.ws_url, 1)  # both workers still take sockets
    for group in again.values():
        for client in group:
            await client.close()
    assert set(again) == set(by_worker)
    async with httpx.AsyncClient() as http:
        assert (await http.get(fuzz_cluster.url + "/health")).status_code == 200
    assert not tracebacks(fuzz_cluster), "\n\n".join(tracebacks(fuzz_cluster))
