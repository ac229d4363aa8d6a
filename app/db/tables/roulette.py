"""Roulette sessions (seed 003): a session per key, its numbers in the order they came.

`count` and `last_number` live on the session row so that appending is one upsert that hands
back the next position (no MAX() race between two writers) and listing sessions needs no join.
A key is free text up to 255 characters (the seed's VARCHAR(255)); the board's "00" cell is
stored as 37.
"""

import sqlalchemy as sa

from app.db.tables.base import BigId, created_at, metadata, updated_at

roulette_sessions = sa.Table(
    "roulette_sessions",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_number", sa.SmallInteger),
    created_at(),
    updated_at(),
    sa.Index("ix_roulette_sessions_updated_at", "updated_at"),
)

roulette_numbers = sa.Table(
    "roulette_numbers",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "session_id",
        BigId,
        sa.ForeignKey("roulette_sessions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("number", sa.SmallInteger, nullable=False),
    # The saving client's id for it (optional): a retried save with the same id is stored once.
    sa.Column("client_id", sa.String(64)),
    created_at(),
    sa.UniqueConstraint("session_id", "position", name="uq_roulette_numbers_session_position"),
    sa.UniqueConstraint("session_id", "client_id", name="uq_roulette_numbers_session_client_id"),
    sa.CheckConstraint("number >= 0 AND number <= 37", name="number_on_the_wheel"),
)
