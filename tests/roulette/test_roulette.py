"""Live roulette (seed 003) on two real workers, real Redis and real PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.fixtures.voxhub_server import VoxhubServer
from tests.ws.client import WsClient, close_all, on_two_workers


def new_key() -> str:
    return "table-" + uuid.uuid4().hex[:12]


async def test_rest_sessions_round_trip(cluster: VoxhubServer) -> None:
    first, second = new_key(), new_key()
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        assert (await http.get(f"/api/roulette/{first}")).status_code == 404
        created = await http.post("/api/roulette/save", json={"key": first, "number": 17})
        assert created.status_code == 201
        assert created.json()["numbers"] == [17] and created.json()["key"] == first
        await http.post("/api/roulette/save", json={"key": first, "number": 0})
        await http.post("/api/roulette/save", json={"key": second, "number": 36})
        session = (await http.get(f"/api/roulette/{first}")).json()
        assert session["numbers"] == [17, 0]
        assert session["created_at"] <= session["updated_at"]

        replaced = await http.put(f"/api/roulette/{first}", json={"numbers": [1, 2, 3]})
        assert replaced.status_code == 200 and replaced.json()["numbers"] == [1, 2, 3]
        sessions = (await http.get("/api/roulette/sessions")).json()
        keys = [item["key"] for item in sessions]
        assert keys.index(first) < keys.index(second)  # newest first
        mine = next(item for item in sessions if item["key"] == first)
        assert mine["count"] == 3 and mine["last_number"] == 3 and mine["updated_at"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/roulette/save", {"key": "ok", "number": 37}),
        ("post", "/api/roulette/save", {"key": "ok", "number": -1}),
        ("post", "/api/roulette/save", {"key": "ok", "number": "5"}),
        ("post", "/api/roulette/save", {"key": "ok", "number": True}),
        ("post", "/api/roulette/save", {"key": "ok", "number": 5.5}),
        ("post", "/api/roulette/save", {"key": "a b", "number": 5}),
        ("post", "/api/roulette/save", {"key": "k" * 65, "number": 5}),
        ("post", "/api/roulette/save", {"number": 5}),
        ("post", "/api/roulette/save", [1]),
        ("put", "/api/roulette/ok", {"numbers": [1, 99]}),
        ("put", "/api/roulette/ok", {"numbers": "1,2"}),
        ("put", "/api/roulette/bad%20key", {"numbers": [1]}),
        ("get", "/api/roulette/" + "k" * 65, None),
    ],
)
async def test_bad_input_is_400_with_json_error(cluster, method, path, body) -> None:
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        response = await http.request(method, path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]


async def test_malformed_json_body_is_400(cluster: VoxhubServer) -> None:
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        response = await http.post(
            "/api/roulette/save", content=b"{nope", headers={"content-type": "application/json"}
        )
    assert response.status_code == 400 and response.json()["error"]


async def test_updates_cross_workers_from_sockets_and_rest(cluster: VoxhubServer) -> None:
    key = new_key()
    writer, watcher = await on_two_workers(cluster.ws_url)
    await watcher.send({"type": "subscribe", "key": key})
    assert (await watcher.expect("subscribed"))["key"] == key

    await writer.send({"type": "saveNumber", "key": key, "number": 7})
    for client in (writer, watcher):  # the writer watches the key it saved to
        update = await client.expect("rouletteUpdate")
        assert update["key"] == key and update["number"] == 7 and update["numbers"] == [7]
        assert update["timestamp"]

    async with httpx.AsyncClient(base_url=cluster.url) as http:
        await http.post("/api/roulette/save", json={"key": key, "number": 12})
        assert (await watcher.expect("rouletteUpdate"))["numbers"] == [7, 12]
        await http.put(f"/api/roulette/{key}", json={"numbers": [3, 4]})
        update = await watcher.expect("rouletteUpdate")
        assert update["numbers"] == [3, 4] and update["number"] == 4
        await writer.expect("rouletteUpdate")
        await writer.expect("rouletteUpdate")

        await watcher.send({"type": "unsubscribe", "key": key})
        await watcher.expect("unsubscribed")
        await http.post("/api/roulette/save", json={"key": key, "number": 5})
        assert (await writer.expect("rouletteUpdate"))["numbers"] == [3, 4, 5]
        await watcher.silent(0.3)
        assert (await http.get(f"/api/roulette/{key}")).json()["numbers"] == [3, 4, 5]
    await close_all([writer, watcher])


async def test_bad_socket_messages_keep_the_socket_open(cluster: VoxhubServer) -> None:
    client = await WsClient.connect(cluster.ws_url)
    await client.send({"type": "saveNumber", "key": "t1", "number": 40})
    await client.expect_error("bad_request")
    await client.send({"type": "saveNumber", "key": "no spaces", "number": 4})
    await client.expect_error("bad_request")
    await client.send({"type": "subscribe"})
    await client.expect_error("bad_request")
    key = new_key()
    await client.send({"type": "saveNumber", "payload": {"key": key, "number": 4}})
    assert (await client.expect("rouletteUpdate"))["numbers"] == [4]
    await client.close()


async def test_rest_is_rate_limited_per_address() -> None:
    server = VoxhubServer(workers=1, REDIS_URL="memory://", RATE_LIMIT_PER_MINUTE="3")
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            statuses = [(await http.get("/api/roulette/sessions")).status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            refused = await http.get("/api/roulette/sessions")
            assert refused.json()["error"] and refused.headers["retry-after"] == "60"
    finally:
        server.stop()


async def test_a_burst_of_saves_from_one_socket_arrives_in_order(cluster: VoxhubServer) -> None:
    """Saves are queued per key and committed in batches: none lost, none reordered, and
    every update carries the history up to its own number."""
    key = new_key()
    writer, watcher = await on_two_workers(cluster.ws_url)
    await watcher.send({"type": "subscribe", "key": key})
    await watcher.expect("subscribed")
    sent = [n % 37 for n in range(120)]
    for number in sent:
        await writer.send({"type": "saveNumber", "key": key, "number": number})
    for client in (watcher, writer):
        for count, number in enumerate(sent, start=1):
            update = await client.expect("rouletteUpdate")
            assert update["number"] == number and update["numbers"] == sent[:count]
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        assert (await http.get(f"/api/roulette/{key}")).json()["numbers"] == sent
    await close_all([writer, watcher])
