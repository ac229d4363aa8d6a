"""Roulette sessions in SQL (PostgreSQL in production, SQLite embedded), SQLAlchemy Core.

Every change of a key runs in a transaction that first takes the key's lock (`lock`), and its
live frames are published before that transaction commits (`app/roulette/appender.py`): so
the changes of one key reach every watcher on every worker in commit order. Watch answers read
their snapshot under the same lock, shared (`app/roulette/watching.py`).

Positions are 1..count without gaps. Timestamps are set from Python (microseconds) rather
than by the database, so "newest first" is stable on SQLite too, whose CURRENT_TIMESTAMP has
one-second resolution. The board's "00" is stored as 37 (`values.stored`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from databases import Database
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.db.sql import dialect_insert, fetch_returned
from app.db.tables.base import isoformat, utcnow
from app.db.tables.roulette import roulette_numbers as numbers_table
from app.db.tables.roulette import roulette_sessions as sessions
from app.errors import bad_request
from app.roulette.schemas import Session
from app.roulette.values import (
    DOUBLE_ZERO_STORED,
    INVALID_INDEX,
    MAX_HISTORY,
    Number,
    stored,
    wire,
)

LIST_LIMIT = 1000
INSERT_CHUNK = 5000


async def lock(db: Database, key: str, *, shared: bool = False) -> None:
    """Take `key`'s lock until the current transaction ends.

    PostgreSQL: an advisory lock on the key's hash, which also covers a key with no row yet.
    SQLite has one writer at a time anyway: a writer takes that write lock at once (an UPDATE
    that matches nothing), so that a concurrent writer waits for it instead of failing as
    "database is locked" when both upgrade a read lock; readers need nothing there.
    """
    if db.url.dialect == "postgresql":
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        await db.execute(sa.select(getattr(sa.func, function)(sa.func.hashtextextended(key, 0))))
    elif not shared:
        await db.execute(sessions.update().where(sa.false()).values(key=sessions.c.key))


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


async def _count(db: Database, key: str) -> int:
    return int(await db.fetch_val(sa.select(sessions.c.count).where(sessions.c.key == key)) or 0)


async def saved_client_ids(db: Database, key: str, client_ids: set[str]) -> set[str]:
    """Which of `client_ids` name a number already in `key`'s history (retried saves)."""
    if not client_ids:
        return set()
    rows = await db.fetch_all(
        sa.select(numbers_table.c.client_id)
        .join(sessions, sessions.c.id == numbers_table.c.session_id)
        .where(sessions.c.key == key, numbers_table.c.client_id.in_(client_ids))
    )
    return {row["client_id"] for row in rows}


@dataclass(frozen=True, slots=True)
class Appended:
    """One Session per number appended, and how many of the oldest numbers made room."""

    sessions: list[Session]
    dropped: int


async def append(
    db: Database, key: str, numbers: Sequence[Number], client_ids: Sequence[str | None] = ()
) -> Appended:
    """Appends `numbers`, each with its client id if `client_ids` gives one: one upsert, one
    INSERT, one read of the history. A history holds MAX_HISTORY at most: past it the oldest
    numbers are dropped, as a board's strip forgets its oldest.

    Each Session has the history up to and including its number, as a watcher must see it;
    when numbers were dropped, every Session has the history as it is after the batch (the
    states in between are gone with what was dropped).
    """
    if not numbers:
        return Appended([], 0)
    existing = await _count(db, key)
    dropped = max(existing + len(numbers) - MAX_HISTORY, 0)
    from_stored = min(dropped, existing)  # the rest of `dropped` are this batch's own oldest
    if from_stored:
        await _drop_oldest(db, key, from_stored)
    skip = dropped - from_stored
    ids = [*client_ids, *[None] * len(numbers)][: len(numbers)]
    taken = [stored(n) for n in numbers[skip:]]
    count = sessions.c.count + len(taken) - from_stored
    row = await fetch_returned(db, _upsert(db, key, count, taken[-1], added=len(taken)))
    await _insert(db, row["id"], taken, first=row["count"] - len(taken) + 1, client_ids=ids[skip:])
    history = await _history(db, row["id"])
    if dropped:
        return Appended([_session(row, history) for _ in numbers], dropped)
    whole = len(history)
    prefixes = [history[: whole - later] for later in range(len(numbers) - 1, -1, -1)]
    return Appended([_session(row, prefix) for prefix in prefixes], 0)


async def _drop_oldest(db: Database, key: str, count: int) -> None:
    """Deletes the `count` oldest numbers of `key`; the rest move up to positions 1.. again."""
    session_id = await db.fetch_val(sa.select(sessions.c.id).where(sessions.c.key == key))
    mine = numbers_table.c.session_id == session_id
    await db.execute(numbers_table.delete().where(mine, numbers_table.c.position <= count))
    await _shift(db, mine, after=count, by=count)


async def _shift(db: Database, mine: Any, *, after: int, by: int) -> None:
    """Moves the numbers past position `after` up by `by`, through negative positions:
    PostgreSQL checks the unique (session, position) row by row, so `position - by` in one
    pass could collide with a row not yet moved."""
    await db.execute(
        numbers_table.update()
        .where(mine, numbers_table.c.position > after)
        .values(position=by - numbers_table.c.position)
    )
    await db.execute(
        numbers_table.update()
        .where(mine, numbers_table.c.position < 0)
        .values(position=-numbers_table.c.position)
    )


async def replace(db: Database, key: str, numbers: list[Number]) -> Session:
    values = [stored(n) for n in numbers]
    last = values[-1] if values else None
    row = await fetch_returned(db, _upsert(db, key, len(values), last, added=len(values)))
    await db.execute(numbers_table.delete().where(numbers_table.c.session_id == row["id"]))
    await _insert(db, row["id"], values, first=1)
    return _session(row, list(numbers))


async def _insert(
    db: Database,
    session_id: int,
    values: list[int],
    *,
    first: int,
    client_ids: Sequence[str | None] = (),
) -> None:
    """Multi-row INSERTs of `values` at positions `first`...; chunked because PostgreSQL
    takes at most 32,767 parameters in one statement (5 a row here)."""
    now = utcnow()
    ids = [*client_ids, *[None] * len(values)][: len(values)]
    for start in range(0, len(values), INSERT_CHUNK):
        end = start + INSERT_CHUNK
        await db.execute(
            numbers_table.insert().values(
                [
                    {
                        "session_id": session_id,
                        "position": position,
                        "number": n,
                        "client_id": client_id,
                        "created_at": now,
                    }
                    for position, (n, client_id) in enumerate(
                        zip(values[start:end], ids[start:end], strict=True), start=first + start
                    )
                ]
            )
        )


async def remove(db: Database, key: str, index: int) -> Session:
    """Deletes 0-based `index`; later entries move up one. An index past the end (or a key
    without a session) changes nothing and is refused."""
    row = await db.fetch_one(sa.select(sessions).where(sessions.c.key == key))
    if row is None or index >= row["count"]:
        raise bad_request(INVALID_INDEX)
    session_id, position = row["id"], index + 1
    mine = numbers_table.c.session_id == session_id
    await db.execute(numbers_table.delete().where(mine, numbers_table.c.position == position))
    await _shift(db, mine, after=position, by=1)
    history = await _history(db, session_id)
    updated = await fetch_returned(
        db,
        sessions.update()
        .where(sessions.c.id == session_id)
        .values(
            count=len(history),
            last_number=stored(history[-1]) if history else None,
            updated_at=utcnow(),
        )
        .returning(*sessions.c),
    )
    return _session(updated, history)


async def get(db: Database, key: str) -> Session | None:
    row = await db.fetch_one(sa.select(sessions).where(sessions.c.key == key))
    return None if row is None else _session(row, await _history(db, row["id"]))


async def list_sessions(db: Database, limit: int = LIST_LIMIT) -> list[Session]:
    """The `limit` most recently updated sessions with their whole histories: two queries,
    whatever the number of sessions."""
    rows = await db.fetch_all(
        sa.select(sessions)
        .order_by(sessions.c.updated_at.desc(), sessions.c.id.desc())
        .limit(limit)
    )
    histories = await _histories(db, [row["id"] for row in rows])
    return [_session(row, histories.get(row["id"], [])) for row in rows]


async def _history(db: Database, session_id: int) -> list[Number]:
    return (await _histories(db, [session_id])).get(session_id, [])


async def _histories(db: Database, session_ids: list[int]) -> dict[int, list[Number]]:
    """Sessions' numbers by position, as the wire says them.

    On PostgreSQL each session's come back as one array (decoded by asyncpg in C): a long
    history, read on every save, would otherwise cost a row object per number.
    """
    if not session_ids:
        return {}
    owner = numbers_table.c.session_id
    if db.url.dialect == "postgresql":
        rows = await db.fetch_all(
            sa.select(
                owner,
                sa.func.array_agg(
                    aggregate_order_by(numbers_table.c.number, numbers_table.c.position)
                ).label("numbers"),
            )
            .where(owner.in_(session_ids))
            .group_by(owner)
        )
        return {row["session_id"]: _wire(row["numbers"] or ()) for row in rows}
    histories: dict[int, list[int]] = {}
    for row in await db.fetch_all(
        sa.select(owner, numbers_table.c.number)
        .where(owner.in_(session_ids))
        .order_by(owner, numbers_table.c.position)
    ):
        histories.setdefault(row["session_id"], []).append(row["number"])
    return {session_id: _wire(numbers) for session_id, numbers in histories.items()}


def _wire(numbers: Sequence[int]) -> list[Number]:
    """Stored values as the wire says them; a history without "00" is taken as it is (the
    membership test runs in C, a conversion per number would not)."""
    if DOUBLE_ZERO_STORED in numbers:
        return [wire(n) for n in numbers]
    return list(numbers)


def _session(row: Any, numbers: list[Number]) -> Session:
    # Read back from the database: already valid, so not validated again (a long history
    # would cost a check per number on every save).
    return Session.model_construct(
        id=row["id"],
        key=row["key"],
        history=numbers,
        created_at=isoformat(row["created_at"]),
        updated_at=isoformat(row["updated_at"]),
    )
