"""Conversation rows: written by media workers, read by API workers.

Timestamps are written by Python (UTC, timezone-aware) rather than the database clock, so that
`duration` and `ended_at` agree with what the worker measured; SQLite returns them naive (UTC
by construction), hence `_aware`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from databases import Database
from redis.asyncio import Redis

from app.db.tables.media import LIVE_STATES, conversations
from app.media.protocol import RECORDING_FILENAME
from app.media.registry import live_workers

WORKER_LOST = "worker_lost"
"""End reason of calls whose media worker vanished (SIGKILL, OOM, node loss)."""


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def create_conversation(
    db: Database,
    *,
    conversation_id: str,
    user_id: int | None,
    worker: str,
    file_path: str,
    started_at: datetime,
) -> None:
    await db.execute(
        conversations.insert().values(
            id=conversation_id,
            user_id=user_id,
            worker=worker,
            state="connecting",
            started_at=started_at,
            file_path=file_path,
        )
    )


async def mark_active(db: Database, conversation_id: str) -> None:
    await db.execute(
        conversations.update()
        .where(conversations.c.id == conversation_id, conversations.c.state == "connecting")
        .values(state="active")
    )


async def finish_conversation(
    db: Database,
    conversation_id: str,
    *,
    state: str,
    end_reason: str,
    ended_at: datetime,
    duration: float,
    size: int,
    packets: int,
    echo_drops: int,
) -> None:
    """Record how a call ended; a row already closed (e.g. reaped) keeps its first ending."""
    await db.execute(
        conversations.update()
        .where(conversations.c.id == conversation_id, conversations.c.state.in_(LIVE_STATES))
        .values(
            state=state,
            end_reason=end_reason,
            ended_at=ended_at,
            duration=duration,
            bytes=size,
            packets=packets,
            echo_drops=echo_drops,
        )
    )


async def get_conversation(db: Database, conversation_id: str) -> dict[str, Any] | None:
    row = await db.fetch_one(sa.select(conversations).where(conversations.c.id == conversation_id))
    return dict(row._mapping) if row is not None else None


async def fail_lost_worker(
    db: Database, worker: str, recordings_dir: str | os.PathLike[str]
) -> int:
    """Mark every live call of a vanished worker failed; returns how many.

    The size is read from the file as the worker left it (it decodes up to its last page), when
    this process can see the recordings volume; otherwise the row keeps 0 bytes.
    """
    rows = await db.fetch_all(
        sa.select(conversations.c.id, conversations.c.started_at).where(
            conversations.c.worker == worker, conversations.c.state.in_(LIVE_STATES)
        )
    )
    now = datetime.now(UTC)
    for row in rows:
        size = await asyncio.to_thread(
            _file_size, Path(recordings_dir) / row["id"] / RECORDING_FILENAME
        )
        await finish_conversation(
            db,
            row["id"],
            state="failed",
            end_reason=WORKER_LOST,
            ended_at=now,
            duration=max(0.0, (now - _aware(row["started_at"])).total_seconds()),
            size=size,
            packets=0,
            echo_drops=0,
        )
    return len(rows)


async def workers_with_live_calls(db: Database) -> set[str]:
    rows = await db.fetch_all(
        sa.select(conversations.c.worker).where(conversations.c.state.in_(LIVE_STATES)).distinct()
    )
    return {row["worker"] for row in rows}


async def reap_lost_workers(
    db: Database,
    redis: Redis,
    recordings_dir: str | os.PathLike[str],
    *,
    alive: Iterable[str] = (),
) -> int:
    """Fail the live calls of every worker whose heartbeat expired; returns how many.

    Media workers run this on every heartbeat, and API workers before showing a live call, so a
    dead worker's calls are failed within one heartbeat TTL even when no other worker is up.
    `alive` names workers known alive without asking Redis (the caller itself).
    """
    owners = await workers_with_live_calls(db)
    if not owners:
        return 0
    live = set(await live_workers(redis)) | set(alive)
    failed = 0
    for worker in owners - live:
        failed += await fail_lost_worker(db, worker, recordings_dir)
    return failed
