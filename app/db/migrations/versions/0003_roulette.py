"""roulette: sessions by key and their numbers in order (seed 003)

Revision ID: 0003_roulette
Revises: 0001_users
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_roulette"
down_revision: str | Sequence[str] | None = "0001_users"
branch_labels: str | Sequence[str] | None = ("roulette",)
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "roulette_sessions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_number", sa.SmallInteger),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.UniqueConstraint("key", name="uq_roulette_sessions_key"),
    )
    op.create_index("ix_roulette_sessions_updated_at", "roulette_sessions", ["updated_at"])
    op.create_table(
        "roulette_numbers",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "session_id",
            BigId,
            sa.ForeignKey(
                "roulette_sessions.id",
                ondelete="CASCADE",
                name="fk_roulette_numbers_session_id_roulette_sessions",
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("number", sa.SmallInteger, nullable=False),
        _timestamp("created_at"),
        sa.UniqueConstraint("session_id", "position", name="uq_roulette_numbers_session_position"),
        sa.CheckConstraint("number >= 0 AND number <= 36", name="number_on_the_wheel"),
    )


def downgrade() -> None:
    op.drop_table("roulette_numbers")
    op.drop_index("ix_roulette_sessions_updated_at", table_name="roulette_sessions")
    op.drop_table("roulette_sessions")
