"""One `databases` connection pool per worker process.

Sanic forks workers, and a pool cannot cross a fork: each worker opens its own in
`before_server_start` and closes it on stop. Stand-alone processes (media and AI workers, the
CLI) use `connect_database` directly.
"""

from __future__ import annotations

from pathlib import Path

from databases import Database

from app.config import Settings
from app.db import compile_cache
from app.db.urls import async_url, sqlite_path

__all__ = ["Database", "connect_database", "get_database"]


async def connect_database(settings: Settings) -> Database:
    path = sqlite_path(settings.database_url)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # The SQLite backend opens a connection per use: `timeout` (sqlite3's busy timeout) turns a
    # brief writer overlap into a wait instead of "database is locked".
    options = (
        {"timeout": 5.0}
        if settings.sqlite
        else {"min_size": 1, "max_size": settings.database_pool_size, "reset": _keep_session}
    )
    if not settings.sqlite:
        compile_cache.install()
    database = Database(async_url(settings.database_url), **options)
    await database.connect()
    if settings.sqlite:
        # WAL (persistent in the file) lets readers proceed while one connection writes.
        await database.execute("PRAGMA journal_mode=WAL")
    return database


async def _keep_session(connection: object) -> None:
    """asyncpg's default release runs `RESET ALL; UNLISTEN *; …` (a round trip per query).
    Voxhub never changes session state (no SET, LISTEN or advisory locks); asyncpg itself still
    rolls back a transaction left open before this hook runs."""


def get_database(app: object) -> Database:
    """The worker's pool, as stored on `app.ctx` by the factory."""
    return app.ctx.db  # type: ignore[attr-defined]
