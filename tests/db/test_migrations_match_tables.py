"""The migrations build exactly the schema the SQLAlchemy tables describe, on both databases."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.db.migrate import migrate
from app.db.tables import metadata
from app.db.urls import async_url


async def test_no_difference_between_migrations_and_tables(database_url: str) -> None:
    settings = Settings.from_env({"DATABASE_URL": database_url})
    await asyncio.to_thread(migrate, settings)
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []
