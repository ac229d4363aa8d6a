"""A save retried with its `client_id` is stored once (issue 18, item 14): on two real
workers, real Redis and real PostgreSQL, over REST and both writing socket dialects."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.fixtures.voxhub_server import VoxhubServer
from tests.roulette.helpers import expect_roulette_error, new_key
from tests.ws.client import WsClient


async def test_a_retried_rest_save_is_answered_with_the_session_not_stored_again(
    cluster: VoxhubServer,
) -> None:
    key, save_id = new_key(), str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        first = await http.post(
            "/api/roulette/save", json={"key": key, "number": 7, "client_id": save_id}
        )
        assert first.status_code == 200 and first.json()["data"]["history"] == [7]
        await http.post("/api/roulette/save", json={"key": key, "number": 9})
        retry = await http.post(
            "/api/roulette/save", json={"key": key, "number": 7, "client_id": save_id}
        )
        assert retry.status_code == 200, retry.text
        assert retry.json()["data"]["history"] == [7, 9]
        assert (await http.get(f"/api/roulette/{key}")).json() == {"history": [7, 9]}
        # The id is per key: the same one on another key is another save.
        other = new_key()
        elsewhere = await http.post(
            "/api/roulette/save", json={"key": other, "number": 7, "client_id": save_id}
        )
        assert elsewhere.json()["data"]["history"] == [7]


async def test_concurrent_retries_on_both_workers_store_one_number(
    cluster: VoxhubServer,
) -> None:
    key, save_id = new_key(), str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    "/api/roulette/save", json={"key": key, "number": 3, "client_id": save_id}
                )
                for _ in range(8)
            )
        )
        assert {answer.status_code for answer in answers} == {200}
        assert (await http.get(f"/api/roulette/{key}")).json() == {"history": [3]}


async def test_socket_saves_share_the_client_ids_of_rest_saves(cluster: VoxhubServer) -> None:
    key, save_id = new_key(), str(uuid.uuid4())
    client = await WsClient.connect(cluster.ws_url)
    joined = await WsClient.connect(cluster.ws_url)
    try:
        async with httpx.AsyncClient(base_url=cluster.url) as http:
            await http.post(
                "/api/roulette/save", json={"key": key, "number": 1, "client_id": save_id}
            )
            # Dialect A: the retry is not stored; a watcher hears nothing new.
            for _ in range(2):
                await client.send(
                    {"type": "saveNumber", "key": key, "number": 1, "client_id": save_id}
                )
            await client.send({"type": "saveNumber", "key": key, "number": 2})
            assert (await client.expect("numberSaved"))["number"] == 2
            # Dialect C: `add` with an id, twice.
            await joined.send({"type": "join", "key": key, "version": 0})
            await joined.expect("sync")
            for _ in range(2):
                await joined.send({"type": "add", "number": 4, "client_id": "add-4"})
            await joined.send({"type": "add", "number": 5})
            assert (await joined.expect("add"))["number"] == 4
            assert (await joined.expect("add"))["number"] == 5
            assert (await http.get(f"/api/roulette/{key}")).json() == {"history": [1, 2, 4, 5]}

            bad = await http.post(
                "/api/roulette/save", json={"key": key, "number": 1, "client_id": "x" * 65}
            )
            assert bad.status_code == 400
            assert bad.json() == {"error": "client_id must be 1 to 64 printable characters"}
            await joined.send({"type": "add", "number": 6, "client_id": 12})
            await expect_roulette_error(
                joined, "client_id must be 1 to 64 printable characters", key=key
            )
    finally:
        await client.close()
        await joined.close()
