"""Small SQL helpers that differ between SQLite and PostgreSQL only in their import."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from databases import Database
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(db: Database, table: sa.Table, *conflict_columns: str) -> Any:
    """`INSERT … ON CONFLICT (cols) DO NOTHING`: both dialects support it, through two classes.

    With RETURNING it answers "did I create the row?" without raising, which keeps a
    PostgreSQL transaction usable and waits correctly for a concurrent insert of the same key.
    """
    dialect = sqlite if db.url.dialect == "sqlite" else postgresql
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))


def dump_json(value: Any) -> str | None:
    """Free-form JSON stored as text: identical on both databases and never re-ordered."""
    return None if value is None else json.dumps(value, separators=(",", ":"))


def load_json(text: str | None) -> Any:
    return None if text in (None, "") else json.loads(text)
