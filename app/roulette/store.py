"""Roulette sessions in SQL (PostgreSQL in production, SQLite embedded), SQLAlchemy Core.

Appending is one upsert on the session row (`count = count + n ... RETURNING`) that takes the
row lock on PostgreSQL, so two concurrent writers to one key get distinct, gapless positions.
Timestamps are set from Python (microseconds) rather than by the database, so "newest first"
is stable on SQLite too, whose CURRENT_TIMESTAMP has one-second resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from databases import Database
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.db.sql import dialect_insert, fetch_returned
from app.db.tables.base import isoformat, utcnow
from app.db.tables.roulette import roulette_numbers as numbers_table
from app.db.tables.roulette import roulette_sessions as sessions
from app.roulette.schemas import Session, SessionSummary

LIST_LIMIT = 1000


def _upsert(db: Database, key: str, count: Any, last_number: int | None, *, added: int) -> Any:
    """INSERT ... ON CONFLICT (key) DO UPDATE, returning the whole session row."""
    now = utcnow()
    statement = dialect_insert(db, sessions).values(
        key=key, count=added, last_number=last_number, created_at=now, updated_at=now
    )
    return statement.on_conflict_do_update(
        index_elements=[sessions.c.key],
        set_={"count": count, "last_number": last_number, "updated_at": now},
    ).returning(*sessions.c)


async def append(db: Database, key: str, numbers: Sequence[int]) -> list[Session]:
    """Appends `numbers` in one transaction: the upsert takes the session row's lock and hands
    back the last position, the numbers go in with one INSERT, and the history is read once.

    Returns one Session per number, each with the history up to and including that number,
    as a watcher must see it. The row lock keeps every other writer of this key out until the
    commit, so the history's last `len(numbers)` entries are these.
    """
    async with db.transaction():
        row = await fetch_returned(
            db, _upsert(db, key, sessions.c.count + len(numbers), numbers[-1], added=len(numbers))
        )
        first = row["count"] - len(numbers) + 1
        now = utcnow()
        await db.execute(
            numbers_table.insert().values(
                [
                    {"session_id": row["id"], "position": position, "number": n, "created_at": now}
                    for position, n in enumerate(numbers, start=first)
                ]
            )
        )
        history = await _history(db, row["id"])
    whole = len(history)
    return [_session(row, history[: whole - later]) for later in range(len(numbers) - 1, -1, -1)]


async def replace(db: Database, key: str, numbers: list[int]) -> Session:
    last = numbers[-1] if numbers else None
    async with db.transaction():
        row = await fetch_returned(db, _upsert(db, key, len(numbers), last, added=len(numbers)))
        await db.execute(numbers_table.delete().where(numbers_table.c.session_id == row["id"]))
        if numbers:
            now = utcnow()
            await db.execute_many(
                numbers_table.insert(),
                [
                    {"session_id": row["id"], "position": index, "number": value, "created_at": now}
                    for index, value in enumerate(numbers, start=1)
                ],
            )
        return _session(row, await _history(db, row["id"]))


async def get(db: Database, key: str) -> Session | None:
    row = await db.fetch_one(sa.select(sessions).where(sessions.c.key == key))
    return None if row is None else _session(row, await _history(db, row["id"]))


async def _history(db: Database, session_id: int) -> list[int]:
    """A session's numbers by position.

    On PostgreSQL they come back as one array (decoded by asyncpg in C): a long session's
    history, read on every save, would otherwise cost a row object per number.
    """
    if db.url.dialect == "postgresql":
        numbers = await db.fetch_val(
            sa.select(
                sa.func.array_agg(
                    aggregate_order_by(numbers_table.c.number, numbers_table.c.position)
                )
            ).where(numbers_table.c.session_id == session_id)
        )
        return list(numbers or ())
    rows = await db.fetch_all(
        sa.select(numbers_table.c.number)
        .where(numbers_table.c.session_id == session_id)
        .order_by(numbers_table.c.position)
    )
    return [row["number"] for row in rows]


def _session(row: Any, numbers: list[int]) -> Session:
    # Read back from the database: already valid, so not validated again (a long history
    # would cost a check per number on every save).
    return Session.model_construct(
        key=row["key"],
        numbers=numbers,
        created_at=isoformat(row["created_at"]),
        updated_at=isoformat(row["updated_at"]),
    )


async def list_sessions(db: Database, limit: int = LIST_LIMIT) -> list[SessionSummary]:
    rows = await db.fetch_all(
        sa.select(sessions.c.key, sessions.c.count, sessions.c.last_number, sessions.c.updated_at)
        .order_by(sessions.c.updated_at.desc(), sessions.c.id.desc())
        .limit(limit)
    )
    return [
        SessionSummary.model_construct(
            key=row["key"],
            count=row["count"],
            last_number=row["last_number"],
            updated_at=isoformat(row["updated_at"]),
        )
        for row in rows
    ]
