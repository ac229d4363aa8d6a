"""`/stats` reads counters, never every online user (issue 18, item 7): on the two-worker
cluster with real Redis, it runs no SUNION however many users are online."""

from __future__ import annotations

import redis

from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer
from tests.match.helpers import stats
from tests.ws.client import close_all, connect_spread


def _calls(client: redis.Redis, command: str) -> int:
    return int(client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))


async def test_stats_counts_users_on_both_workers_without_a_sunion(
    cluster: VoxhubServer, redis_server: RedisServer
) -> None:
    spread = await connect_spread(cluster.ws_url, 3)
    sockets = [client for clients in spread.values() for client in clients]
    probe = redis.Redis.from_url(redis_server.url)
    try:
        before = _calls(probe, "sunion")
        now = await stats(cluster)
        assert now["workers"] == 2
        assert now["active_users"] >= len(sockets)
        assert _calls(probe, "sunion") == before
    finally:
        probe.close()
        await close_all(sockets)
