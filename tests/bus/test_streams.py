"""The Redis Streams work queue on a real redis-server: claim, lease renewal, dead letter."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.bus import streams
from app.bus.streams import StreamQueue
from tests.fixtures.redis_server import RedisServer


@pytest.fixture
async def queue(redis_server: RedisServer) -> AsyncIterator[StreamQueue]:
    redis = Redis.from_url(redis_server.url, decode_responses=True)
    name = f"test:{uuid.uuid4().hex}"
    queue = StreamQueue(redis, name, "group", name + ":dead")
    await queue.ensure_group()
    await queue.ensure_group()  # an existing group is kept
    yield queue
    await redis.delete(queue.stream, queue.dead_stream)
    await redis.aclose()


async def test_unacked_entry_is_reclaimed_by_another_consumer(queue: StreamQueue) -> None:
    entry_id = await queue.add({"job": "1"})
    [first] = await queue.read_new("a", count=5, block_ms=100)
    assert (first.id, first.fields, first.deliveries) == (entry_id, {"job": "1"}, 1)
    assert await queue.read_new("b", count=5, block_ms=50) == []
    assert await queue.claim_stale("b", min_idle=5.0, count=5) == []  # not idle long enough
    await asyncio.sleep(0.25)
    [again] = await queue.claim_stale("b", min_idle=0.2, count=5)
    assert again.id == entry_id and again.deliveries == 2
    assert await queue.backlog() == 1
    await queue.ack(entry_id)
    assert await queue.backlog() == 0
    assert await queue.claim_stale("c", min_idle=0.001, count=5) == []


async def test_renewed_lease_is_not_claimed(queue: StreamQueue) -> None:
    await queue.add({"job": "slow"})
    [entry] = await queue.read_new("a", count=1, block_ms=100)
    for _ in range(4):
        await asyncio.sleep(0.1)
        await queue.renew("a", [entry.id])
    assert await queue.claim_stale("b", min_idle=0.2, count=5) == []
    assert await queue.deliveries(entry.id) == 1  # renewing is not a delivery


async def test_dead_letter_keeps_the_job_and_its_error_and_acks(queue: StreamQueue) -> None:
    await queue.add({"job": "bad"})
    await queue.add({"job": "next"})
    assert await queue.backlog() == 2
    [entry] = await queue.read_new("a", count=1, block_ms=100)
    await queue.dead_letter(entry, "InternalServerError: 500")
    dead = await queue.redis.xrange(queue.dead_stream)
    assert len(dead) == 1
    fields = dead[0][1]
    assert fields["job"] == "bad" and fields["source_id"] == entry.id
    assert fields["error"] == "InternalServerError: 500" and fields["deliveries"] == "1"
    assert await queue.backlog() == 1  # only "next" remains


async def test_a_backlog_is_never_trimmed_and_acknowledged_jobs_leave_the_stream(
    queue: StreamQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18, item 5: with nobody consuming, jobs pile up; none may be trimmed away, however
    small the cap (here 10, under Redis's 100-entry nodes that approximate trimming drops)."""
    monkeypatch.setattr(streams, "STREAM_MAXLEN", 10)
    for n in range(500):
        await queue.add({"job": str(n)})
    entries = await queue.read_new("a", count=1000, block_ms=100)
    assert [entry.fields["job"] for entry in entries] == [str(n) for n in range(500)]
    assert await queue.backlog() == 500
    for entry in entries[:-1]:
        await queue.ack(entry.id)
    await queue.dead_letter(entries[-1], "failed")
    assert await queue.redis.xlen(queue.stream) == 0  # acknowledged work is not kept
    assert await queue.backlog() == 0
