"""The compiled-SQL cache in front of databases' PostgreSQL backend gives the same answers."""

import asyncio

import sqlalchemy as sa

from app.compat import sqlalchemy_compile_cache as compile_cache
from app.config import Settings
from app.db import connect_database
from app.db.migrate import migrate
from app.db.tables.users import users


async def test_same_shaped_statements_get_their_own_values(postgres_server) -> None:
    settings = Settings.from_env({"DATABASE_URL": postgres_server.create_database()})
    await asyncio.to_thread(migrate, settings)
    db = await connect_database(settings)
    try:
        ids = [
            await db.execute(
                users.insert().values(username=f"cache-{n}", balance=n).returning(users.c.id)
            )
            for n in range(5)
        ]
        for user_id, balance in zip(ids, range(5), strict=True):
            row = await db.fetch_one(sa.select(users).where(users.c.id == user_id))
            assert row["balance"] == balance and row["username"] == f"cache-{balance}"
        # IN lists of different lengths render different SQL: they bypass the cache.
        for size in (1, 3, 5):
            rows = await db.fetch_all(
                sa.select(users.c.id).where(users.c.id.in_(ids[:size])).order_by(users.c.id)
            )
            assert [row["id"] for row in rows] == ids[:size]
        limited = await db.fetch_all(sa.select(users.c.id).order_by(users.c.id).limit(2))
        assert len(limited) == 2
        assert len(compile_cache._cache) > 0
    finally:
        await db.disconnect()


def test_the_patched_hook_is_still_there_in_the_pinned_release() -> None:
    """The cache replaces `PostgresConnection._compile` and calls it for what it cannot key;
    a databases release without it, or with another signature, must fail here."""
    import inspect

    import databases
    from databases.backends.postgres import PostgresConnection

    assert databases.__version__.startswith(compile_cache.SUPPORTED)
    original = compile_cache._original_compile
    assert list(inspect.signature(original).parameters) == ["self", "query"]
    assert "_dialect" in inspect.getsource(PostgresConnection.__init__)
