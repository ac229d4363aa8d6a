"""Statements that differ between SQLite and PostgreSQL only in the class that builds them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record
from sqlalchemy.dialects import postgresql, sqlite

# The largest id a BIGINT column holds: a bigger one from a client names nothing, and must be
# refused before it reaches the database (which would fail the statement).
MAX_ID = 2**63 - 1


def dialect_insert(db: Database, table: sa.Table) -> Any:
    """The INSERT of `db`'s dialect: the one that knows ON CONFLICT (both databases speak it)."""
    return (sqlite if db.url.dialect == "sqlite" else postgresql).insert(table)


def insert_ignoring_conflicts(db: Database, table: sa.Table, *conflict_columns: str) -> Any:
    """`INSERT … ON CONFLICT (cols) DO NOTHING`: both dialects support it, through two classes.

    With RETURNING it answers "did I create the row?" without raising, which keeps a
    PostgreSQL transaction usable and waits correctly for a concurrent insert of the same key.
    """
    return dialect_insert(db, table).on_conflict_do_nothing(index_elements=list(conflict_columns))


async def fetch_returned(db: Database, statement: Any) -> Record:
    """The row an INSERT/UPDATE … RETURNING wrote; such a statement always returns one, so
    none means the statement is wrong, not the data."""
    row = await db.fetch_one(statement)
    if row is None:
        raise RuntimeError("a RETURNING statement returned no row")
    return row


async def insert_returning_id(db: Database, table: sa.Table, **values: Any) -> int:
    """Insert one row of `table` and answer its new `id`."""
    row = await fetch_returned(db, table.insert().values(**values).returning(table.c.id))
    return int(row["id"])


def newest_owned(table: sa.Table, user_id: int, limit: int) -> sa.Select[Any]:
    """A user's newest `limit` rows of `table` (one with `user_id` and `id`), newest first."""
    return (
        sa.select(table).where(table.c.user_id == user_id).order_by(table.c.id.desc()).limit(limit)
    )
