"""users: the identity shared by every domain

Revision ID: 0001_users
Revises:
Create Date: 2026-11-21

Each domain adds its tables in its own branch off this revision (down_revision = "0001_users",
branch_labels = its domain), so `voxhub migrate` upgrades to every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_users"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("username", sa.String(64)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("telegram_id", sa.BigInteger),
        sa.Column("first_name", sa.String(128)),
        sa.Column("last_name", sa.String(128)),
        sa.Column("language_code", sa.String(16)),
        sa.Column("selected_model", sa.String(64), nullable=False, server_default="gpt-realtime"),
        sa.Column("balance", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("role", sa.String(16), nullable=False, server_default="user"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("telegram_id", name="uq_users_telegram_id"),
    )


def downgrade() -> None:
    op.drop_table("users")
