"""Point reads by key, coalesced: the lookups a worker starts in one event-loop turn share a query.

Under load a worker holds dozens of requests that each read one row by primary key (the caller's
user row on `/api/tokens`, say). Each read on its own costs a pool checkout, a round trip and
PostgreSQL's per-statement work, several times what the request's own Python costs. Here the
lookups made while the loop runs one batch of ready callbacks are collected and answered by one
`WHERE key IN (...)` query, so the cost of a round trip is shared by every request in flight.

A lookup is never answered from a cache: its query starts after the lookup was made, so it sees
every write committed before the request arrived (read-your-writes holds for a client that waits
for its write's answer). It runs on its own pool connection, outside any transaction the caller
may hold; reads that must see a transaction's own writes use that transaction's connection.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Hashable, Mapping
from typing import Any, cast

import sqlalchemy as sa
from databases import Database
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

# IN lists beyond this are split: PostgreSQL takes far more, but one huge statement would make
# every request in it wait for the slowest part.
MAX_KEYS_PER_QUERY = 500

Row = Mapping[str, Any]


class CoalescedReads:
    """Rows of `table` by the unique `column`, one query per loop turn for all lookups.

    On PostgreSQL the query is `column = ANY($1)`, compiled once and sent on the pool's asyncpg
    connection: the same text every time, so asyncpg keeps it prepared and no SQLAlchemy work is
    left per batch. Elsewhere (SQLite) it is an ordinary `IN` select through `databases`.
    """

    def __init__(self, db: Database, table: sa.Table, column: sa.Column) -> None:
        self._db = db
        self._column = column
        self._select = sa.select(table)
        self._postgres_sql = (
            _postgres_sql(self._select, column) if db.url.dialect == "postgresql" else None
        )
        self._waiting: dict[Hashable, list[asyncio.Future[Row | None]]] = {}
        self._flush_scheduled = False
        self._queries: set[asyncio.Task[None]] = set()

    async def get(self, key: Hashable) -> Row | None:
        """The row whose `column` equals `key`, or None."""
        loop = asyncio.get_running_loop()
        # One future per caller: a cancelled request cancels its own future, never a neighbour's.
        answer: asyncio.Future[Row | None] = loop.create_future()
        self._waiting.setdefault(key, []).append(answer)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            # call_soon runs after the callbacks already queued for this turn: the requests
            # whose data arrived together register their keys before the query is sent. A
            # fresh context keeps the first caller's request id (and anything else) out of it.
            loop.call_soon(self._flush, context=contextvars.Context())
        return await answer

    async def fetch(self, keys: list[Hashable]) -> list[Row]:
        """The rows for `keys`, in one query."""
        if self._postgres_sql is None:
            records = await self._db.fetch_all(self._select.where(self._column.in_(keys)))
            # databases' Record reads by column name like a mapping, which its type omits.
            return cast(list[Row], records)
        async with self._db.connection() as connection:
            return list(await connection.raw_connection.fetch(self._postgres_sql, keys))

    def _flush(self) -> None:
        waiting, self._waiting, self._flush_scheduled = self._waiting, {}, False
        keys = list(waiting)
        for start in range(0, len(keys), MAX_KEYS_PER_QUERY):
            chunk = {key: waiting[key] for key in keys[start : start + MAX_KEYS_PER_QUERY]}
            task = asyncio.create_task(self._answer(chunk))
            self._queries.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._queries.discard)

    async def _answer(self, waiting: dict[Hashable, list[asyncio.Future[Row | None]]]) -> None:
        answers = [answer for answers in waiting.values() for answer in answers]
        try:
            rows = await self.fetch(list(waiting))
        except asyncio.CancelledError:  # the worker is stopping: so are its requests
            for answer in answers:
                answer.cancel()
            raise
        except Exception as exc:  # each request fails with the database's error, as it would alone
            for answer in answers:
                if not answer.done():
                    answer.set_exception(exc)
            return
        found = {row[self._column.name]: row for row in rows}
        for key, key_answers in waiting.items():
            for answer in key_answers:
                if not answer.done():  # its request was cancelled meanwhile
                    answer.set_result(found.get(key))


def _postgres_sql(select: sa.Select, column: sa.Column) -> str:
    """`select` narrowed to `column = ANY($1)`, as asyncpg text.

    Rows come back as asyncpg Records, without SQLAlchemy's result processing: a table whose
    column types need it is refused here rather than read back wrong.
    """
    dialect = asyncpg_dialect()
    processed = [c.name for c in select.selected_columns if c.type.result_processor(dialect, None)]
    if processed:
        raise ValueError(f"columns {processed} need SQLAlchemy's result processing")
    keys = sa.bindparam("keys", type_=ARRAY(column.type))
    return select.where(column == sa.any_(keys)).compile(dialect=dialect).string
