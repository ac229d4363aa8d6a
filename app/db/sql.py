"""Statements that differ between SQLite and PostgreSQL only in the class that builds them."""

from __future__ import annotations

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
