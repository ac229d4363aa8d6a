"""Roulette storage on SQLite and PostgreSQL: a batch of saves is one transaction whose
sessions each show the history up to their own number."""

from __future__ import annotations

import asyncio
import uuid

from app.config import Settings
from app.db import connect_database
from app.db.migrate import migrate
from app.roulette import store


async def test_a_batch_appends_in_order_and_each_save_sees_its_own_history(
    database_url: str,
) -> None:
    settings = Settings.from_env({"DATABASE_URL": database_url})
    await asyncio.to_thread(migrate, settings)
    db = await connect_database(settings)
    key = f"batch-{uuid.uuid4().hex[:8]}"
    try:
        (first,) = await store.append(db, key, [5])
        assert first.numbers == [5]
        batch = await store.append(db, key, [1, 36, 0])
        assert [s.numbers for s in batch] == [[5, 1], [5, 1, 36], [5, 1, 36, 0]]
        assert (await store.get(db, key)).numbers == [5, 1, 36, 0]
        (listed,) = [s for s in await store.list_sessions(db) if s.key == key]
        assert listed.count == 4 and listed.last_number == 0

        # Concurrent batches on one key: distinct, gapless positions, each batch contiguous.
        batches = [[n, n, n] for n in range(10)]
        results = await asyncio.gather(*(store.append(db, key, b) for b in batches))
        history = (await store.get(db, key)).numbers
        assert len(history) == 4 + 30
        for sessions, numbers in zip(results, batches, strict=True):
            end = len(sessions[-1].numbers)
            assert history[end - 3 : end] == numbers
            assert sessions[-1].numbers == history[:end]
        empty = await store.replace(db, key, [])
        assert empty.numbers == [] and (await store.get(db, key)).numbers == []
    finally:
        await db.disconnect()
