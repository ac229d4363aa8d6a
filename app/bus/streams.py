"""Redis Streams as an at-least-once work queue: a consumer group, leases and a dead letter.

A job is read with XREADGROUP and stays in the group's pending list until it is acknowledged,
which happens only after its result is stored. A consumer that dies leaves its jobs pending;
any other consumer takes them over with XAUTOCLAIM once they have been idle for the claim time.
A live consumer renews the lease of jobs it is still working on (XCLAIM … JUSTID resets the
idle time without counting a delivery), so a slow upstream call is not stolen while a dead
consumer's jobs are still recovered quickly. Redis counts every delivery; the caller decides
from that count when a job has failed often enough to be moved to the dead-letter stream.

The work stream holds exactly the jobs not yet acknowledged: an entry is deleted when it is
acknowledged (or dead-lettered), and the stream is never trimmed by length. A `MAXLEN` cap
trims the oldest entries whatever their state, so a backlog past it (AI workers down for a
while) silently lost jobs whose outbox rows were already gone. What bounds the stream is what
bounds the work put on it (the senders' limits). The dead-letter stream is history, kept to
its most recent `STREAM_MAXLEN` entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT, StreamIdT

# Approximate cap of the dead-letter stream: failed jobs kept for inspection, not work.
STREAM_MAXLEN = 100_000


@dataclass(frozen=True, slots=True)
class StreamEntry:
    id: str
    fields: dict[str, str]
    deliveries: int
    """How many times the group has handed this entry out, this delivery included."""


class StreamQueue:
    """One stream, one consumer group, and the stream its failed entries end in."""

    def __init__(self, redis: Redis, stream: str, group: str, dead_stream: str) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.dead_stream = dead_stream

    async def ensure_group(self) -> None:
        """Create the group (and the stream) once; a group that exists is left as it is."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def add(self, fields: Mapping[str, str]) -> str:
        record: dict[FieldT, EncodableT] = {name: value for name, value in fields.items()}
        entry_id: Any = await self.redis.xadd(self.stream, record)
        return str(entry_id)

    async def read_new(self, consumer: str, count: int, block_ms: int) -> list[StreamEntry]:
        # Replies are decoded text (decode_responses), which redis-py's types cannot express.
        reply: Any = await self.redis.xreadgroup(
            self.group, consumer, {self.stream: ">"}, count=count, block=block_ms
        )
        return [
            StreamEntry(entry_id, dict(fields), 1)
            for _stream, entries in reply or ()
            for entry_id, fields in entries
        ]

    async def claim_stale(self, consumer: str, min_idle: float, count: int) -> list[StreamEntry]:
        """Take over entries left pending by consumers that stopped working on them."""
        answer: Any = await self.redis.xautoclaim(
            self.stream,
            self.group,
            consumer,
            min_idle_time=max(1, int(min_idle * 1000)),
            start_id="0-0",
            count=count,
        )
        _cursor, claimed, _deleted = answer
        entries = []
        for entry_id, fields in claimed:
            if fields is None:  # trimmed from the stream while pending: nothing left to do
                await self.ack(entry_id)
                continue
            entries.append(StreamEntry(entry_id, dict(fields), await self.deliveries(entry_id)))
        return entries

    async def deliveries(self, entry_id: str) -> int:
        pending = await self.redis.xpending_range(
            self.stream, self.group, min=entry_id, max=entry_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 1

    async def renew(self, consumer: str, entry_ids: Iterable[str]) -> None:
        """Reset the idle time of entries this consumer is still working on."""
        ids: list[StreamIdT] = list(entry_ids)
        if ids:
            await self.redis.xclaim(
                self.stream, self.group, consumer, min_idle_time=0, message_ids=ids, justid=True
            )

    async def ack(self, entry_id: str) -> None:
        """Done with: acknowledged and deleted together, so the stream keeps only work."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()

    async def dead_letter(self, entry: StreamEntry, error: str) -> str:
        """Move an entry to the dead-letter stream with its error, atomically with the ack."""
        record: dict[FieldT, EncodableT] = {name: value for name, value in entry.fields.items()}
        record.update(
            {"source_id": entry.id, "deliveries": str(entry.deliveries), "error": error[:2000]}
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.dead_stream, record, maxlen=STREAM_MAXLEN, approximate=True)
            pipe.xack(self.stream, self.group, entry.id)
            pipe.xdel(self.stream, entry.id)
            dead_id, _acked, _deleted = await pipe.execute()
        return dead_id

    async def backlog(self) -> int:
        """Entries not yet acknowledged: never delivered (lag) plus in progress (pending)."""
        for group in await self.redis.xinfo_groups(self.stream):
            if group["name"] == self.group:
                return int(group.get("lag") or 0) + int(group.get("pending") or 0)
        return 0
