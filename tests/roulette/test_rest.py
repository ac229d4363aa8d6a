"""Seed 003's REST shapes and error texts (docs/seed003.md §2) on two real workers, real Redis
and real PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.voxhub_server import VoxhubServer
from tests.roulette.helpers import new_key
from tests.ws.client import WsClient


async def test_shapes_of_every_call_as_the_client_reads_them(cluster: VoxhubServer) -> None:
    key = new_key()
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        unknown = await http.get(f"/api/roulette/{key}")
        assert unknown.status_code == 200 and unknown.json() == {"history": []}

        saved = await http.post("/api/roulette/save", json={"key": key, "number": 17.0})
        assert saved.status_code == 200
        body = saved.json()
        assert body["success"] is True
        session = body["data"]
        assert session["key"] == key and session["history"] == [17]
        assert isinstance(session["id"], int)
        assert session["created_at"] <= session["updated_at"]

        again = await http.post("/api/roulette/save", json={"key": key, "number": "00"})
        assert again.json()["data"]["history"] == [17, "00"]
        assert again.json()["data"]["id"] == session["id"]
        assert (await http.get(f"/api/roulette/{key}")).json() == {"history": [17, "00"]}

        replaced = await http.put(
            f"/api/roulette/{key}", json={"history": [0, "00", 36], "key": "ignored"}
        )
        assert replaced.status_code == 200 and replaced.json()["success"] is True
        assert replaced.json()["data"]["history"] == [0, "00", 36]
        assert replaced.json()["data"]["key"] == key
        emptied = await http.put(f"/api/roulette/{key}", json={"history": None})
        assert emptied.json()["data"]["history"] == []
        assert (await http.put(f"/api/roulette/{key}", json={})).json()["data"]["history"] == []


async def test_free_text_keys_percent_encoded(cluster: VoxhubServer) -> None:
    key = "Стол №7 " + new_key()
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        await http.put(f"/api/roulette/{key}", json={"history": [5]})
        assert (await http.get(f"/api/roulette/{key}")).json() == {"history": [5]}
        saved = await http.post("/api/roulette/save", json={"key": key, "number": 6})
        assert saved.json()["data"]["history"] == [5, 6]
        longest = "k" * 255
        assert (await http.get(f"/api/roulette/{longest}")).status_code == 200


async def test_sessions_are_listed_newest_first_from_their_first_write(
    cluster: VoxhubServer,
) -> None:
    first, second, watched_only = new_key(), new_key(), new_key()
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        await http.get(f"/api/roulette/{watched_only}")  # reading never creates
        await http.post("/api/roulette/save", json={"key": first, "number": 1})
        await http.post("/api/roulette/save", json={"key": second, "number": 2})
        listed = (await http.get("/api/roulette/sessions")).json()["sessions"]
        keys = [session["key"] for session in listed]
        assert keys.index(second) < keys.index(first) and watched_only not in keys
        await http.put(f"/api/roulette/{first}", json={"history": [3, "00"]})
        listed = (await http.get("/api/roulette/sessions")).json()["sessions"]
        keys = [session["key"] for session in listed]
        assert keys.index(first) < keys.index(second)
        mine = next(session for session in listed if session["key"] == first)
        assert mine["history"] == [3, "00"]
        assert set(mine) >= {"id", "key", "history", "created_at", "updated_at"}


async def test_the_sessions_path_is_always_the_list(cluster: VoxhubServer) -> None:
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        await http.post("/api/roulette/save", json={"key": "sessions", "number": 4})
        assert "sessions" in (await http.get("/api/roulette/sessions")).json()


INVALID_BODY = "Invalid request body"
REQUIRED = "Key and number are required"


@pytest.mark.parametrize(
    ("method", "path", "body", "text"),
    [
        ("post", "/api/roulette/save", b"{nope", INVALID_BODY),
        ("post", "/api/roulette/save", b"", INVALID_BODY),
        ("post", "/api/roulette/save", b"[1]", INVALID_BODY),
        ("put", "/api/roulette/ok", b'"history"', INVALID_BODY),
        ("put", "/api/roulette/ok", b'{"history": "1,2"}', INVALID_BODY),
        ("put", "/api/roulette/ok", b'{"history": {"0": 1}}', INVALID_BODY),
        ("post", "/api/roulette/save", {"number": 5}, REQUIRED),
        ("post", "/api/roulette/save", {"key": "", "number": 5}, REQUIRED),
        ("post", "/api/roulette/save", {"key": 7, "number": 5}, REQUIRED),
        ("post", "/api/roulette/save", {"key": "ok"}, REQUIRED),
        ("post", "/api/roulette/save", {"key": "ok", "number": None}, REQUIRED),
        *(
            ("post", "/api/roulette/save", {"key": "ok", "number": bad}, "Invalid number")
            for bad in (37, -1, 1.5, "7", "0", True, [1], {"n": 1})
        ),
        ("put", "/api/roulette/ok", {"history": [1, 37]}, "Invalid history format"),
        ("put", "/api/roulette/ok", {"history": [1, "0"]}, "Invalid history format"),
        ("put", "/api/roulette/ok", {"history": [None]}, "Invalid history format"),
        ("put", "/api/roulette/ok", {"history": [1] * 10_001}, "Invalid history format"),
        ("post", "/api/roulette/save", {"key": "k" * 256, "number": 5}, "Invalid key"),
        ("post", "/api/roulette/save", {"key": "a/b", "number": 5}, "Invalid key"),
        ("post", "/api/roulette/save", {"key": "a\nb", "number": 5}, "Invalid key"),
        ("put", "/api/roulette/a%2Fb", {"history": [1]}, "Invalid key"),
        ("put", "/api/roulette/a%07b", {"history": [1]}, "Invalid key"),
        ("get", "/api/roulette/" + "k" * 256, None, "Invalid key"),
    ],
)
async def test_each_refusal_is_400_with_its_exact_text(cluster, method, path, body, text) -> None:
    options = {"content": body} if isinstance(body, bytes) else {"json": body}
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        response = await http.request(
            method, path, headers={"content-type": "application/json"}, **options
        )
    assert response.status_code == 400, response.text
    assert response.json() == {"error": text}


async def test_a_refused_write_changes_nothing(cluster: VoxhubServer) -> None:
    key = new_key()
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        await http.put(f"/api/roulette/{key}", json={"history": [1, 2]})
        await http.put(f"/api/roulette/{key}", json={"history": [3, 99]})
        await http.post("/api/roulette/save", json={"key": key, "number": 40})
        assert (await http.get(f"/api/roulette/{key}")).json() == {"history": [1, 2]}


async def test_a_full_history_drops_its_oldest(cluster: VoxhubServer) -> None:
    """At 10,000 a save drops the oldest number, as a board does; a dialect-C watcher, which
    applies `add` by version, gets the shifted history whole instead."""
    key = new_key()
    watcher = await WsClient.connect(cluster.ws_url)
    try:
        async with httpx.AsyncClient(base_url=cluster.url) as http:
            full = [n % 37 for n in range(10_000)]
            assert (await http.put(f"/api/roulette/{key}", json={"history": full})).is_success
            await watcher.send({"type": "join", "key": key, "version": 0})
            assert len((await watcher.expect("sync"))["history"]) == 10_000
            saved = await http.post("/api/roulette/save", json={"key": key, "number": 36})
            assert saved.status_code == 200, saved.text
            history = (await http.get(f"/api/roulette/{key}")).json()["history"]
        assert history == [*full[1:], 36]
        shifted = await watcher.expect("sync")
        assert shifted["full"] is True and shifted["history"] == history
    finally:
        await watcher.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/roulette/k"), ("POST", "/api/roulette/save"), ("PUT", "/api/roulette/k")],
)
async def test_cors_preflight_and_answers(cluster: VoxhubServer, method: str, path: str) -> None:
    origin = "http://localhost:3000"
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        preflight = await http.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code in (200, 204), preflight.text
        assert preflight.headers["access-control-allow-origin"] in ("*", origin)
        assert method in preflight.headers["access-control-allow-methods"]
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert allowed == "*" or "content-type" in allowed  # "*": any header, without credentials
        body = {"key": new_key(), "number": 1} if method == "POST" else {"history": []}
        answer = await http.request(
            method, path, headers={"Origin": origin}, json=None if method == "GET" else body
        )
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] in ("*", origin)


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
