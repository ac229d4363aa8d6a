"""Migrations and the pool on both databases."""

import asyncio

import asyncpg
import pytest
import sqlalchemy as sa

from app.config import Settings
from app.db import connect_database
from app.db.migrate import migrate
from app.db.tables import metadata
from app.db.tables.users import users


async def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    settings = Settings.from_env({"DATABASE_URL": database_url})
    await asyncio.to_thread(migrate, settings)
    await asyncio.to_thread(migrate, settings)  # a second run is a no-op
    db = await connect_database(settings)
    try:
        if settings.sqlite:
            rows = await db.fetch_all("SELECT name FROM sqlite_master WHERE type='table'")
        else:
            rows = await db.fetch_all(
                "SELECT tablename AS name FROM pg_tables WHERE schemaname='public'"
            )
        tables = {row["name"] for row in rows}
        assert set(metadata.tables) <= tables
    finally:
        await db.disconnect()


async def test_users_round_trip_and_balance_never_negative(database_url: str) -> None:
    settings = Settings.from_env({"DATABASE_URL": database_url})
    await asyncio.to_thread(migrate, settings)
    db = await connect_database(settings)
    try:
        user_id = await db.execute(users.insert().values(username="ada", balance=5))
        row = await db.fetch_one(sa.select(users).where(users.c.id == user_id))
        assert row["username"] == "ada" and row["balance"] == 5 and row["role"] == "user"
        assert row["created_at"] is not None
        with pytest.raises((asyncpg.CheckViolationError, Exception)) as raised:
            await db.execute(users.update().where(users.c.id == user_id).values(balance=-1))
        assert "balance" in str(raised.value).lower() or "check" in str(raised.value).lower()
        row = await db.fetch_one(sa.select(users.c.balance).where(users.c.id == user_id))
        assert row["balance"] == 5
    finally:
        await db.disconnect()
