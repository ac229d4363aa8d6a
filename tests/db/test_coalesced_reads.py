"""Coalesced point reads: one query per loop turn, each caller its own answer, failures shared."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable

import pytest
import sqlalchemy as sa
from databases import Database

from app.config import Settings
from app.db import connect_database
from app.db.coalesced_reads import MAX_KEYS_PER_QUERY, CoalescedReads, Row
from app.db.migrate import migrate
from app.db.tables.users import users


class CountingReads(CoalescedReads):
    """The real reader, counting the queries it sends; `fail_next` breaks one on the database."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, users, users.c.id)
        self.db = db
        self.queries = 0
        self.fail_next = False

    async def fetch(self, keys: list[Hashable]) -> list[Row]:
        self.queries += 1
        if self.fail_next:
            self.fail_next = False
            await self.db.fetch_all(sa.select(sa.column("no_such_column")).select_from(users))
        return await super().fetch(keys)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    settings = Settings.from_env({"DATABASE_URL": database_url})
    await asyncio.to_thread(migrate, settings)
    database = await connect_database(settings)
    yield database
    await database.disconnect()


async def _add_users(db: Database, count: int) -> list[int]:
    return [
        await db.execute(users.insert().values(username=f"reads-{n}", balance=n))
        for n in range(count)
    ]


async def test_lookups_in_one_turn_share_one_query(db: Database) -> None:
    ids = await _add_users(db, 5)
    reader = CountingReads(db)
    wanted = [ids[0], ids[1], ids[1], ids[4], 999_999, ids[0]]
    rows = await asyncio.gather(*(reader.get(key) for key in wanted))
    assert reader.queries == 1
    assert [row["id"] if row else None for row in rows] == [*wanted[:4], None, ids[0]]
    assert rows[3]["balance"] == 4 and rows[3]["username"] == "reads-4"


async def test_a_lookup_sees_writes_committed_before_it(db: Database) -> None:
    (user_id,) = await _add_users(db, 1)
    reader = CoalescedReads(db, users, users.c.id)
    assert (await reader.get(user_id))["balance"] == 0
    await db.execute(users.update().where(users.c.id == user_id).values(balance=42))
    assert (await reader.get(user_id))["balance"] == 42


async def test_a_cancelled_caller_leaves_the_others_their_answer(db: Database) -> None:
    (user_id,) = await _add_users(db, 1)
    reader = CoalescedReads(db, users, users.c.id)
    impatient = asyncio.create_task(reader.get(user_id))
    patient = asyncio.create_task(reader.get(user_id))
    await asyncio.sleep(0)  # both registered; the query is not answered yet
    impatient.cancel()
    assert (await patient)["id"] == user_id
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_a_failed_query_fails_each_caller_and_the_next_turn_recovers(db: Database) -> None:
    ids = await _add_users(db, 2)
    reader = CountingReads(db)
    reader.fail_next = True
    results = await asyncio.gather(*(reader.get(key) for key in ids), return_exceptions=True)
    assert all(isinstance(result, Exception) for result in results)
    assert (await reader.get(ids[1]))["id"] == ids[1]


async def test_many_keys_are_split_into_bounded_queries(db: Database) -> None:
    reader = CountingReads(db)
    rows = await asyncio.gather(*(reader.get(-key) for key in range(MAX_KEYS_PER_QUERY + 1)))
    assert rows == [None] * (MAX_KEYS_PER_QUERY + 1)
    assert reader.queries == 2


async def test_postgres_refuses_columns_that_need_result_processing(postgres_server) -> None:
    database = Database(postgres_server.create_database())
    prices = sa.Table(
        "prices", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("amount", sa.Numeric)
    )
    with pytest.raises(ValueError, match="amount"):
        CoalescedReads(database, prices, prices.c.id)
