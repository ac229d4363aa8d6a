"""The pub/sub hub on a real redis-server and on the embedded server."""

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from app.bus import Hub, create_redis
from app.config import Settings
from tests.fixtures.redis_server import RedisServer


def collect(box: list[str]) -> Callable[[str, str], None]:
    """A hub listener that keeps each payload."""

    def listener(_channel: str, payload: str) -> None:
        box.append(payload)

    return listener


async def _received(box: list[str], count: int, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while len(box) < count:
            await asyncio.sleep(0.01)


@pytest.fixture(params=["redis", "memory"])
async def hubs(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Hub, Hub]]:
    """Two hubs as two workers would hold them, on one Redis."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_server").url
    else:
        url = "memory://"
    settings = Settings.from_env({"REDIS_URL": url})
    pair = (Hub(create_redis(settings)), Hub(create_redis(settings)))
    for hub in pair:
        await hub.start()
    yield pair
    for hub in pair:
        await hub.close()
        await hub.redis.aclose()


async def test_delivery_across_hubs_and_unsubscribe_on_last_listener(hubs) -> None:
    a, b = hubs
    first, second = [], []
    first_listener, second_listener = collect(first), collect(second)
    await b.subscribe("room:1", first_listener)
    await b.subscribe("room:1", second_listener)
    assert await a.publish("room:1", '{"n": 1}') == 1
    await _received(first, 1)
    await _received(second, 1)
    assert first == second == ['{"n": 1}']

    await b.unsubscribe("room:1", first_listener)
    assert "room:1" in b.channels  # one listener left: still subscribed
    await b.unsubscribe("room:1", second_listener)
    assert "room:1" not in b.channels
    await asyncio.sleep(0.1)
    assert await a.publish("room:1", "late") == 0


async def test_a_failing_listener_does_not_starve_the_others(hubs) -> None:
    a, b = hubs
    received: list[str] = []

    def broken(_channel: str, _payload: str) -> None:
        raise RuntimeError("listener bug")

    await b.subscribe("c", broken)
    await b.subscribe("c", collect(received))
    await a.publish("c", "x")
    await _received(received, 1)


async def test_redis_restart_resubscribes_and_delivery_resumes() -> None:
    server = RedisServer()
    server.start()
    try:
        settings = Settings.from_env({"REDIS_URL": server.url})
        listener_hub, publisher = (
            Hub(create_redis(settings), ping_interval=0.5),
            Redis.from_url(server.url, decode_responses=True),
        )
        await listener_hub.start()
        box: list[str] = []
        await listener_hub.subscribe("after-restart", collect(box))

        server.kill()
        await asyncio.sleep(1.0)
        server.start()
        # The new redis-server knows nothing of the old subscriptions: the hub re-made them.
        async with asyncio.timeout(20):
            while await publisher.publish("after-restart", "0|hello") == 0:
                await asyncio.sleep(0.05)
        await _received(box, 1)
        assert box == ["hello"]
        await listener_hub.close()
        await listener_hub.redis.aclose()
        await publisher.aclose()
    finally:
        server.close()
