"""The live media workers are one registry, not keys found by a keyspace SCAN (issue 18,
item 7): `POST /webrtc` and `GET /health` on two API workers, with a real media worker, real
Redis and PostgreSQL, run no SCAN; a worker that dies leaves the registry once its heartbeat
expires."""

from __future__ import annotations

import asyncio
import signal

import httpx
import redis

from app.media.registry import INFO_KEY, LIVE_KEY
from tests.media.conftest import MediaApi, WorkerPool
from tests.media.peers import ClientPeer, SineTrack


def _calls(client: redis.Redis, command: str) -> int:
    return int(client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))


async def test_offers_and_health_read_the_registry_without_scanning(
    media_api: MediaApi, media_workers: WorkerPool, redis_client: redis.Redis
) -> None:
    worker = media_workers.start()
    before = _calls(redis_client, "scan")
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        client = ClientPeer(SineTrack(seconds=5.0))
        try:
            response = await http.post(
                "/webrtc", content=await client.offer(), headers={"content-type": "application/sdp"}
            )
            assert response.status_code == 201, response.text
            await client.accept(response.text)
            for _ in range(3):
                health = await http.get("/health")
                assert health.json()["active_conversations"] == 1
        finally:
            await client.close()
        assert _calls(redis_client, "scan") == before

        # SIGKILL: no deregistration; the entry goes once its heartbeat expires.
        assert worker.signal(signal.SIGKILL) == -signal.SIGKILL

        async with asyncio.timeout(15):
            while (await http.get("/health")).json()["active_conversations"]:
                await asyncio.sleep(0.2)
    assert redis_client.zscore(LIVE_KEY, worker.worker_id) is None
    assert redis_client.hget(INFO_KEY, worker.worker_id) is None
