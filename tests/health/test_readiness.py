"""A PostgreSQL outage leaves the Redis-only random chat in rotation (issue 18, to check):
`voxhub serve --workers 2` on a real redis-server and a PostgreSQL of its own, which is
stopped under it."""

from __future__ import annotations

import httpx

from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer
from tests.match.helpers import pair
from tests.ws.client import WsClient, close_all


async def test_a_database_outage_degrades_readiness_but_the_random_chat_stays(
    redis_server: RedisServer,
) -> None:
    postgres = PostgresServer()
    postgres.start()
    server = VoxhubServer(
        workers=2,
        REDIS_URL=redis_server.url.replace("/0", "/12"),
        DATABASE_URL=postgres.create_database(),
    )
    server.start()
    stopped = False
    http = httpx.AsyncClient(base_url=server.url, timeout=10)
    try:
        assert (await http.get("/health")).json()["status"] == "ok"
        postgres.close()
        stopped = True
        response = await http.get("/health")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "degraded" and body["error"] == "database unavailable"
        assert body["checks"]["redis"] == "ok"
        assert body["checks"]["database"].startswith("error")
        # What needs only Redis still works: two strangers are matched.
        waiter = await WsClient.connect(server.ws_url)
        finder = await WsClient.connect(server.ws_url)
        try:
            found_waiter, found_finder = await pair(waiter, finder)
            assert found_waiter["room_id"] == found_finder["room_id"]
        finally:
            await close_all([waiter, finder])
    finally:
        await http.aclose()
        server.stop()
        if not stopped:
            postgres.close()
