"""Roulette sessions in SQL (PostgreSQL in production, SQLite embedded), SQLAlchemy Core.

Appending is one upsert on the session row (`count = count + 1 ... RETURNING`) that takes the
row lock on PostgreSQL, so two concurrent writers to one key get distinct, gapless positions.
Timestamps are set from Python (microseconds) rather than by the database, so "newest first"
is stable on SQLite too, whose CURRENT_TIMESTAMP has one-second resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from databases import Database

from app.db.sql import dialect_insert
from app.db.tables.base import isoformat, utcnow
from app.db.tables.roulette import roulette_numbers as numbers_table
from app.db.tables.roulette import roulette_sessions as sessions

LIST_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Session:
    key: str
    numbers: list[int]
    created_at: str | None
    updated_at: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "numbers": self.numbers,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _upsert(db: Database, key: str, count: Any, last_number: int | None, *, added: int):
    """INSERT ... ON CONFLICT (key) DO UPDATE, returning the whole session row."""
    now = utcnow()
    statement = dialect_insert(db, sessions).values(
        key=key, count=added, last_number=last_number, created_at=now, updated_at=now
    )
    return statement.on_conflict_do_update(
        index_elements=[sessions.c.key],
        set_={"count": count, "last_number": last_number, "updated_at": now},
    ).returning(*sessions.c)


async def append(db: Database, key: str, number: int) -> Session:
    """One transaction: the upsert returns the session row, then the number and the history."""
    async with db.transaction():
        row = await db.fetch_one(_upsert(db, key, sessions.c.count + 1, number, added=1))
        await db.execute(
            numbers_table.insert().values(
                session_id=row["id"], position=row["count"], number=number, created_at=utcnow()
            )
        )
        return await _with_numbers(db, row)


async def replace(db: Database, key: str, numbers: list[int]) -> Session:
    last = numbers[-1] if numbers else None
    async with db.transaction():
        row = await db.fetch_one(_upsert(db, key, len(numbers), last, added=len(numbers)))
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
        return await _with_numbers(db, row)


async def get(db: Database, key: str) -> Session | None:
    row = await db.fetch_one(sa.select(sessions).where(sessions.c.key == key))
    return None if row is None else await _with_numbers(db, row)


async def _with_numbers(db: Database, row: Any) -> Session:
    values = await db.fetch_all(
        sa.select(numbers_table.c.number)
        .where(numbers_table.c.session_id == row["id"])
        .order_by(numbers_table.c.position)
    )
    return Session(
        key=row["key"],
        numbers=[value["number"] for value in values],
        created_at=isoformat(row["created_at"]),
        updated_at=isoformat(row["updated_at"]),
    )


async def list_sessions(db: Database, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(sessions.c.key, sessions.c.count, sessions.c.last_number, sessions.c.updated_at)
        .order_by(sessions.c.updated_at.desc(), sessions.c.id.desc())
        .limit(limit)
    )
    return [
        {
            "key": row["key"],
            "count": row["count"],
            "last_number": row["last_number"],
            "updated_at": isoformat(row["updated_at"]),
        }
        for row in rows
    ]
