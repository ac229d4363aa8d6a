"""Driver errors that domains act on, recognised the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

import asyncpg


def is_unique_violation(exc: BaseException) -> bool:
    """Both drivers' duplicate-key errors; `databases` passes them through unwrapped."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)
