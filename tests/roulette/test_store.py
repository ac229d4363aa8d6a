"""Roulette storage on SQLite and PostgreSQL: a batch of saves is one transaction whose
sessions each show the history up to their own number; a removal closes its gap."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from databases import Database

from app.config import Settings
from app.db import connect_database
from app.db.migrate import migrate
from app.errors import DomainError
from app.roulette import store
from app.roulette.schemas import Session


async def _database(database_url: str) -> Database:
    settings = Settings.from_env({"DATABASE_URL": database_url})
    await asyncio.to_thread(migrate, settings)
    return await connect_database(settings)


async def _locked_append(db: Database, key: str, numbers: list[int]) -> list[Session]:
    """As the appender runs it: in a transaction holding the key's lock."""
    async with db.transaction():
        await store.lock(db, key)
        return (await store.append(db, key, numbers)).sessions


async def test_a_batch_appends_in_order_and_each_save_sees_its_own_history(
    database_url: str,
) -> None:
    db = await _database(database_url)
    key = f"batch-{uuid.uuid4().hex[:8]}"
    try:
        (first,) = (await store.append(db, key, [5])).sessions
        assert first.history == [5]
        batch = (await store.append(db, key, [1, 36, 0])).sessions
        assert [s.history for s in batch] == [[5, 1], [5, 1, 36], [5, 1, 36, 0]]
        assert (await store.get(db, key)).history == [5, 1, 36, 0]
        (listed,) = [s for s in await store.list_sessions(db) if s.key == key]
        assert listed.history == [5, 1, 36, 0]

        # Concurrent batches on one key: distinct, gapless positions, each batch contiguous.
        batches = [[n, n, n] for n in range(10)]
        results = await asyncio.gather(*(_locked_append(db, key, b) for b in batches))
        history = (await store.get(db, key)).history
        assert len(history) == 4 + 30
        for sessions, numbers in zip(results, batches, strict=True):
            end = len(sessions[-1].history)
            assert history[end - 3 : end] == numbers
            assert sessions[-1].history == history[:end]
        empty = await store.replace(db, key, [])
        assert empty.history == [] and (await store.get(db, key)).history == []
    finally:
        await db.disconnect()


async def test_remove_closes_the_gap_and_00_round_trips(database_url: str) -> None:
    db = await _database(database_url)
    key = f"Стол №7 {uuid.uuid4().hex[:8]}"
    try:
        await store.replace(db, key, [1, "00", 2, 3])
        assert (await store.remove(db, key, 0)).history == ["00", 2, 3]
        assert (await store.remove(db, key, 1)).history == ["00", 3]
        (last,) = (await store.append(db, key, [4])).sessions
        assert last.history == ["00", 3, 4] == (await store.get(db, key)).history
        assert (await store.remove(db, key, 2)).history == ["00", 3]
        with pytest.raises(DomainError, match="Invalid index"):
            await store.remove(db, key, 2)
        with pytest.raises(DomainError, match="Invalid index"):
            await store.remove(db, "no such key " + key, 0)
    finally:
        await db.disconnect()
