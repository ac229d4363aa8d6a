"""Seed 003's socket dialects (docs/seed003.md §3-6) on two real workers, real Redis and real
PostgreSQL: every watcher gets every change of its key in its own dialect, whoever made it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.voxhub_server import VoxhubServer
from tests.roulette.helpers import expect_roulette_error, new_key
from tests.ws.client import WsClient, close_all, connect_spread, on_two_workers

DIALECTS = ("A", "B", "C", "V")


async def _pairs(cluster: VoxhubServer) -> dict[str, tuple[WsClient, WsClient]]:
    """Per dialect, two sockets: one on each worker."""
    spread = list((await connect_spread(cluster.ws_url, len(DIALECTS))).values())
    first, second = spread[0], spread[1]
    await close_all([*first[4:], *second[4:], *(c for rest in spread[2:] for c in rest)])
    return {d: (first[i], second[i]) for i, d in enumerate(DIALECTS)}


async def _watch(client: WsClient, dialect: str, key: str) -> dict[str, Any]:
    """The dialect's watch action and its answer."""
    if dialect == "A":
        await client.send({"type": "getHistory", "key": key})
        return await client.expect("historyUpdate")
    if dialect == "B":
        await client.send({"type": "join", "key": key, "token": "ignored"})
        return await client.expect("sync")
    if dialect == "C":
        await client.send({"type": "join", "key": key, "version": 0})
        return await client.expect("sync")
    await client.send({"type": "subscribe", "key": key})
    return await client.expect("subscribed")


def _expected(dialect: str, kind: str, key: str, history: list, **change: Any) -> dict:
    """What `dialect` receives for a change (docs/seed003.md §5)."""
    last = history[-1] if history else None
    if dialect == "A":
        if kind == "append":
            return {
                "type": "numberSaved",
                "key": key,
                "number": change["number"],
                "history": history,
            }
        return {"type": "historyUpdated", "key": key, "history": history}
    if dialect == "B":
        return {"type": "sync", "key": key, "history": history}
    if dialect == "C":
        version = len(history)
        if kind == "append":
            return {"type": "add", "key": key, "number": change["number"], "version": version}
        if kind == "remove":
            return {"type": "remove", "key": key, "index": change["index"], "version": version}
        return {"type": "sync", "key": key, "history": history, "full": True}
    number = change["number"] if kind == "append" else last
    return {"type": "rouletteUpdate", "key": key, "number": number, "numbers": history}


async def _all_see(pairs, kind: str, key: str, history: list, **change: Any) -> None:
    for dialect, clients in pairs.items():
        for client in clients:
            frame = await client.next()
            assert frame.pop("timestamp")
            assert frame == _expected(dialect, kind, key, history, **change), (dialect, frame)


async def test_every_dialect_sees_every_change_from_any_dialect_and_rest(
    cluster: VoxhubServer,
) -> None:
    key, other = new_key(), new_key()
    pairs = await _pairs(cluster)
    for dialect, clients in pairs.items():
        for client in clients:
            answer = await _watch(client, dialect, key)
            assert answer["key"] == key
            if dialect != "V":
                assert answer["history"] == []
            if dialect in "BC":
                assert answer["full"] is True
    (a1, a2), (b1, _), (c1, c2) = pairs["A"], pairs["B"], pairs["C"]
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        await a1.send({"type": "saveNumber", "key": key, "number": 7})
        await _all_see(pairs, "append", key, [7], number=7)
        await c2.send({"type": "add", "number": "00", "key": "ignored", "token": "x"})
        await _all_see(pairs, "append", key, [7, "00"], number="00")
        await http.post("/api/roulette/save", json={"key": key, "number": 17.0})
        await _all_see(pairs, "append", key, [7, "00", 17], number=17)
        await b1.send({"type": "update", "history": [1, 2, 3], "token": "x"})
        await _all_see(pairs, "replace", key, [1, 2, 3])
        await c1.send({"type": "remove", "index": 0})
        await _all_see(pairs, "remove", key, [2, 3], index=0)
        await a2.send({"type": "updateHistory", "key": key, "history": [36]})
        await _all_see(pairs, "replace", key, [36])
        await http.put(f"/api/roulette/{key}", json={"history": [0, "00"]})
        await _all_see(pairs, "replace", key, [0, "00"])
        await b1.send({"type": "update", "key": key, "history": []})
        await _all_see(pairs, "replace", key, [])

        # Another key's changes, by every means, reach none of them.
        await http.post("/api/roulette/save", json={"key": other, "number": 1})
        await a1.send({"type": "saveNumber", "key": other, "number": 2})
        await a1.expect("numberSaved")  # its sender watches `other` now, in dialect A
        await http.put(f"/api/roulette/{other}", json={"history": [5]})
        await a1.expect("historyUpdated")
        for clients in pairs.values():
            for client in clients:
                await client.silent(0.3)
    await close_all([client for clients in pairs.values() for client in clients])


async def test_a_socket_can_watch_a_key_in_several_dialects(cluster: VoxhubServer) -> None:
    key = new_key()
    client = await WsClient.connect(cluster.ws_url)
    await _watch(client, "C", key)
    await _watch(client, "V", key)
    await client.send({"type": "add", "number": 4})
    got = {(await client.next())["type"], (await client.next())["type"]}
    assert got == {"add", "rouletteUpdate"}
    await client.send({"type": "unsubscribe", "key": key})
    assert (await client.expect("unsubscribed"))["key"] == key
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        await http.post("/api/roulette/save", json={"key": key, "number": 5})
    await client.silent(0.3)
    # The joined key went with its registration.
    await client.send({"type": "add", "number": 4})
    await expect_roulette_error(client, "client has no session key")
    await client.close()


async def test_join_replaces_the_previous_join_and_never_creates(cluster: VoxhubServer) -> None:
    first, second = new_key(), new_key()
    client = await WsClient.connect(cluster.ws_url)
    await _watch(client, "C", first)
    await _watch(client, "B", second)
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        keys = [s["key"] for s in (await http.get("/api/roulette/sessions")).json()["sessions"]]
        assert first not in keys and second not in keys
        await http.post("/api/roulette/save", json={"key": first, "number": 1})
        await client.silent(0.3)  # no longer watched
        await client.send({"type": "update", "history": [9]})  # the joined key: second
        sync = await client.expect("sync")
        assert sync["key"] == second and sync["history"] == [9] and "full" not in sync
        listed = (await http.get("/api/roulette/sessions")).json()["sessions"]
        assert [s["key"] for s in listed][:2] == [second, first]  # newest first
    await client.close()


async def test_bad_input_gets_the_roulette_error_frame_and_the_socket_stays(
    cluster: VoxhubServer,
) -> None:
    key = new_key()
    client = await WsClient.connect(cluster.ws_url)
    refusals: list[tuple[dict[str, Any], str, str | None]] = [
        ({"type": "add", "number": 1}, "client has no session key", None),
        ({"type": "remove", "index": 0}, "client has no session key", None),
        ({"type": "update", "history": [1]}, "client has no session key", None),
        ({"type": "saveNumber", "key": key}, "Key and number are required", key),
        ({"type": "saveNumber", "number": 3}, "Key and number are required", None),
        ({"type": "saveNumber", "key": key, "number": None}, "Key and number are required", key),
        ({"type": "saveNumber", "key": key, "number": 37}, "Invalid number", key),
        ({"type": "saveNumber", "key": key, "number": "7"}, "Invalid number", key),
        ({"type": "saveNumber", "key": "a/b", "number": 3}, "Invalid key", None),
        ({"type": "getHistory"}, "Key is required", None),
        ({"type": "subscribe", "key": "k" * 256}, "Invalid key", None),
        ({"type": "join", "key": ["x"], "version": 1}, "Invalid key", None),
        ({"type": "updateHistory", "key": key, "history": [1, "0"]}, "Invalid history format", key),
        ({"type": "updateHistory", "key": key, "history": "1"}, "Invalid history format", key),
    ]
    for frame, text, with_key in refusals:
        await client.send(frame)
        error = await expect_roulette_error(client, text, key=with_key)
        if with_key is None:
            assert "key" not in error, error
    await client.send("{not json")
    await client.expect_error("bad_json")

    await _watch(client, "C", key)
    for frame, text in [
        ({"type": "add", "number": 1.5, "key": "ignored"}, "Invalid number"),
        ({"type": "add", "number": True}, "Invalid number"),
        ({"type": "add"}, "Invalid number"),
        ({"type": "remove", "index": -1}, "Invalid index"),
        ({"type": "remove", "index": "0"}, "Invalid index"),
        ({"type": "remove"}, "Invalid index"),
        ({"type": "remove", "index": 0}, "Invalid index"),  # past the end: refused by the store
    ]:
        await client.send(frame)
        await expect_roulette_error(client, text, key=key)  # the joined key
    await client.send({"type": "add", "number": 36})
    assert (await client.expect("add"))["version"] == 1
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        assert (await http.get(f"/api/roulette/{key}")).json() == {"history": [36]}
    await client.close()


async def test_at_most_32_keys_per_socket(cluster: VoxhubServer) -> None:
    client = await WsClient.connect(cluster.ws_url)
    keys = [new_key() for _ in range(33)]
    for key in keys[:32]:
        await _watch(client, "V", key)
    await client.send({"type": "getHistory", "key": keys[32]})
    await expect_roulette_error(
        client, "watch at most 32 keys", code="too_many_subscriptions", key=keys[32]
    )
    # Another dialect of a watched key is no new key.
    assert (await _watch(client, "A", keys[0]))["history"] == []
    await client.send({"type": "unsubscribe", "key": keys[1]})
    await client.expect("unsubscribed")
    assert (await _watch(client, "B", keys[32]))["key"] == keys[32]
    await client.close()


async def test_one_sockets_writes_apply_in_order_and_all_watchers_see_one_order(
    cluster: VoxhubServer,
) -> None:
    """Appends are batched per key, replaces and removes queue between them; two workers write
    the same key at once: every watcher on both workers sees the commit order."""
    key = new_key()
    left, right = await on_two_workers(cluster.ws_url)
    watchers = list(await on_two_workers(cluster.ws_url))
    for client in (left, right, *watchers):
        await _watch(client, "C", key)
    for n in range(60):
        await left.send({"type": "add", "number": n % 37})
        await right.send({"type": "add", "number": (n + 1) % 37})
        if n == 30:
            await left.send({"type": "remove", "index": 0})
    await left.send({"type": "update", "history": [1]})
    await left.send({"type": "add", "number": "00"})
    seen = []
    for client in (left, right, *watchers):
        frames = [await client.next() for _ in range(123)]
        for frame in frames:
            frame.pop("timestamp")
        seen.append(frames)
    assert all(frames == seen[0] for frames in seen)
    versions = [f["version"] for f in seen[0] if f["type"] == "add"]
    assert seen[0][-2] == {"type": "sync", "key": key, "history": [1], "full": True}
    assert seen[0][-1] == {"type": "add", "key": key, "number": "00", "version": 2}
    assert sum(1 for f in seen[0] if f["type"] == "remove") == 1
    # Each add lengthens the history by one, each remove shortens it: gapless, in order.
    length = 0
    for frame in seen[0][:-2]:
        length += 1 if frame["type"] == "add" else -1
        assert frame["version"] == length
    assert len(versions) == 121
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        assert (await http.get(f"/api/roulette/{key}")).json() == {"history": [1, "00"]}
    await close_all([left, right, *watchers])
