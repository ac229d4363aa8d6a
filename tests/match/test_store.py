"""The pairing store on a real redis-server: batches, the frames its scripts publish, cancels."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from app.match.notices import REASON_LOST
from app.match.store import MatchStore
from app.ws.delivery import unpack, user_channel
from app.ws.presence import presence_key
from tests.fixtures.redis_server import RedisServer

# Ids a JWT `sub` may carry: the scripts must encode them, not paste them into JSON.
ODD_IDS = ['a"quote', "back\\slash/", "ünïcødé ✓", "u4", "u5"]


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url.replace("/0", "/5"), decode_responses=True)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


async def online(redis: Redis, *users: str) -> None:
    for user in users:
        await redis.set(presence_key(user), "worker", px=60_000)


async def scripts_run(redis: Redis) -> int:
    """EVALSHA calls that ran (redis-py's first call of a script fails NOSCRIPT and loads it)."""
    stats = (await redis.info("commandstats")).get("cmdstat_evalsha", {})
    return int(stats.get("calls", 0)) - int(stats.get("failed_calls", 0))


async def received(pubsub, count: int) -> dict[str, list[dict]]:
    """`count` frames published to the subscribed user channels, by user."""
    frames: dict[str, list[dict]] = {}
    async with asyncio.timeout(5):
        while count:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is None:
                continue
            _, text = unpack(message["data"].partition("|")[2])
            user = message["channel"].removeprefix(user_channel(""))
            frames.setdefault(user, []).append(json.loads(text))
            count -= 1
    return frames


async def test_a_burst_is_one_script_that_pairs_in_arrival_order(redis: Redis) -> None:
    store = MatchStore(redis, redis)
    await online(redis, *ODD_IDS)
    pubsub = redis.pubsub()
    await pubsub.subscribe(*(user_channel(user) for user in ODD_IDS))
    before = await scripts_run(redis)

    found = await asyncio.gather(
        *(store.find(user, f"room-{index}") for index, user in enumerate(ODD_IDS))
    )

    assert await scripts_run(redis) - before == 1
    assert [f.partner for f in found] == ["", ODD_IDS[0], "", ODD_IDS[2], ""]
    frames = await received(pubsub, 4)
    # The user whose find completed the pair is the caller; the one who waited, the callee.
    for caller, callee, room in ((1, 0, "room-1"), (3, 2, "room-3")):
        [to_caller], [to_callee] = frames[ODD_IDS[caller]], frames[ODD_IDS[callee]]
        assert to_caller["type"] == to_callee["type"] == "match_found"
        assert to_caller["payload"] == {
            "partner_id": ODD_IDS[callee],
            "room_id": room,
            "role": "caller",
        }
        assert to_callee["payload"] == {
            "partner_id": ODD_IDS[caller],
            "room_id": room,
            "role": "callee",
        }
        assert to_caller["timestamp"].endswith("Z")

    left = await store.leave(ODD_IDS[1], REASON_LOST)
    assert (left.partner, left.room_id) == (ODD_IDS[0], "room-1")
    [notice] = (await received(pubsub, 1))[ODD_IDS[0]]
    assert notice["type"] == "partner_disconnected"
    assert notice["payload"] == {"reason": REASON_LOST, "room_id": "room-1"}
    await pubsub.aclose()


async def test_a_find_cancelled_before_its_batch_leaves_is_never_sent(redis: Redis) -> None:
    store = MatchStore(redis, redis)
    await online(redis, "gone", "stays")
    doomed = asyncio.create_task(store.find("gone", "room-a"))
    await asyncio.sleep(0)  # queued, but the batch has not left yet
    doomed.cancel()
    found = await store.find("stays", "room-b")
    assert not found.matched
    assert await redis.zrange("voxhub:match:queue", 0, -1) == ["stays"]


async def test_a_failed_script_fails_every_request_of_its_batch() -> None:
    broken = Redis(host="127.0.0.1", port=1, decode_responses=True)  # nothing listens there
    store = MatchStore(broken, broken)
    results = await asyncio.gather(
        store.find("a", "room-a"), store.find("b", "room-b"), return_exceptions=True
    )
    assert all(isinstance(result, RedisConnectionError) for result in results), results
    await broken.aclose()


async def queued(redis: Redis) -> list[str]:
    return await redis.zrange("voxhub:match:queue", 0, -1)


async def test_without_requeue_the_partner_left_behind_stays_out_of_the_pool(
    redis: Redis,
) -> None:
    store = MatchStore(redis, redis)
    await online(redis, "a", "b")
    await store.find("a", "room-1")
    await store.find("b", "room-1")
    left = await store.leave("b", REASON_LOST)
    assert left.partner == "a" and (left.waiting, left.rooms) == (0, 0)
    assert await queued(redis) == []


async def test_requeue_puts_the_partner_left_behind_back_but_never_the_leaver(
    redis: Redis,
) -> None:
    store = MatchStore(redis, redis, requeue=True)
    await online(redis, "a", "b", "c")
    await store.find("a", "room-1")
    await store.find("b", "room-1")
    left = await store.leave("b", REASON_LOST)
    assert left.partner == "a" and (left.waiting, left.rooms) == (1, 0)
    assert await queued(redis) == ["a"]

    # "next": the skipped partner is queued after the finder paired, never paired with it.
    assert (await store.find("b", "room-2")).partner == "a"
    found = await store.find("b", "room-3")
    assert not found.matched and found.left.partner == "a"
    assert sorted(await queued(redis)) == ["a", "b"]
    assert (await store.find("c", "room-4")).partner in {"a", "b"}


async def test_a_partner_whose_presence_expired_is_not_requeued(redis: Redis) -> None:
    store = MatchStore(redis, redis, requeue=True)
    await online(redis, "a", "b")
    await store.find("a", "room-1")
    await store.find("b", "room-1")
    await redis.delete(presence_key("a"))  # a's worker died too
    await store.leave("b", REASON_LOST)
    assert await queued(redis) == []


async def test_join_pool_queues_a_live_user_once_and_never_one_in_a_room(redis: Redis) -> None:
    store = MatchStore(redis, redis, requeue=True)
    await online(redis, "a", "b", "c")
    assert await store.join_pool("a") == (1, 0)
    first_score = await redis.zscore("voxhub:match:queue", "a")
    await asyncio.sleep(0.01)
    assert await store.join_pool("a") == (1, 0)  # a second socket keeps the first place
    assert await redis.zscore("voxhub:match:queue", "a") == first_score
    found = await store.find("b", "room-1")  # someone's find picks the pooled user
    assert found.partner == "a"
    assert await store.join_pool("a") == (0, 1)  # in a room now: not queued again
    assert await store.join_pool("ghost") == (0, 1)  # no presence: never queued


async def test_a_dead_workers_user_who_is_back_online_keeps_their_new_room(
    redis: Redis,
) -> None:
    """Issue 18, to check: the janitor saw a dead worker's user offline, but before it ended
    their room they reconnected to a live worker and were matched again. The janitor's leave
    is conditional on the user being offline, in the same script."""
    store = MatchStore(redis, redis)
    await online(redis, "back", "partner")
    await store.find("back", "new-room")
    await store.find("partner", "new-room")
    left = await store.leave("back", REASON_LOST, only_if_offline=True)
    assert (left.partner, left.room_id, left.rooms) == ("", "", 1)  # the new room stands
    await redis.delete(presence_key("back"))  # really gone this time
    left = await store.leave("back", REASON_LOST, only_if_offline=True)
    assert (left.partner, left.room_id, left.rooms) == ("partner", "new-room", 0)
