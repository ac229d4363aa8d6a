"""One `databases` connection pool per worker process.

Sanic forks workers, and a pool cannot cross a fork: each worker's services create the pool
object in the factory and connect it before the server starts. Stand-alone processes (media
and AI workers, the CLI, tests) use `connect_database`, which does both.
"""

from __future__ import annotations

from pathlib import Path

from databases import Database

from app.config import Settings
from app.db.urls import async_url, sqlite_path

__all__ = ["Database", "connect_database", "create_database", "open_database"]


def create_database(settings: Settings) -> Database:
    """The pool object, not yet connected."""
    # The SQLite backend opens a connection per use: `timeout` (sqlite3's busy timeout) turns a
    # brief writer overlap into a wait instead of "database is locked".
    if settings.sqlite:
        return Database(async_url(settings.database_url), timeout=5.0)
    from app.compat import sqlalchemy_compile_cache

    sqlalchemy_compile_cache.install()
    return Database(
        async_url(settings.database_url),
        min_size=1,
        max_size=settings.database_pool_size,
        reset=_keep_session,
    )


async def open_database(database: Database, settings: Settings) -> Database:
    path = sqlite_path(settings.database_url)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    await database.connect()
    if settings.sqlite:
        # WAL (persistent in the file) lets readers proceed while one connection writes.
        await database.execute("PRAGMA journal_mode=WAL")
    return database


async def connect_database(settings: Settings) -> Database:
    return await open_database(create_database(settings), settings)


async def _keep_session(connection: object) -> None:
    """asyncpg's default release runs `RESET ALL; UNLISTEN *; …` (a round trip per query).
    Voxhub never changes session state (no SET, LISTEN or advisory locks); asyncpg itself still
    rolls back a transaction left open before this hook runs."""
