"""accounts: token ledger, plans (seeded), subscriptions, conversation history, prompts

Revision ID: 0002_accounts
Revises: 0001_users
Create Date: 2026-11-21

Written by hand so the same file runs on SQLite and PostgreSQL. The plans are seeded here
because they are a price list the API serves publicly; changing prices is a new migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_accounts"
down_revision: str | Sequence[str] | None = "0001_users"
branch_labels: str | Sequence[str] | None = ("accounts",)
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SEED_PLANS = [
    {
        "name": "Starter",
        "description": "About an hour of voice conversation a month",
        "price_cents": 499,
        "tokens": 100_000,
        "duration_days": 30,
    },
    {
        "name": "Pro",
        "description": "Daily voice practice for a month",
        "price_cents": 1499,
        "tokens": 400_000,
        "duration_days": 30,
    },
    {
        "name": "Annual",
        "description": "A year of voice conversation",
        "price_cents": 9900,
        "tokens": 5_000_000,
        "duration_days": 365,
    },
]


def _now_column(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _create_owned_table(name: str, *columns: sa.Column) -> None:
    """A table of rows that belong to one user: id, indexed user_id, columns, created_at."""
    op.create_table(
        name,
        sa.Column("id", BigId, primary_key=True),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        *columns,
        _now_column("created_at"),
    )
    op.create_index(f"ix_{name}_user_id", name, ["user_id"])


def upgrade() -> None:
    _create_owned_table(
        "token_ledger",
        sa.Column("delta", sa.BigInteger, nullable=False),
        sa.Column("balance_after", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("details", sa.Text),
        sa.Column("idempotency_key", sa.String(255)),
    )

    plans = op.create_table(
        "plans",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("price_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
        sa.Column("tokens", sa.BigInteger, nullable=False),
        sa.Column("duration_days", sa.Integer, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        _now_column("created_at"),
        sa.UniqueConstraint("name", name="uq_plans_name"),
    )
    op.bulk_insert(plans, [{**plan, "currency": "USD", "is_active": True} for plan in SEED_PLANS])

    _create_owned_table(
        "user_plans",
        sa.Column("plan_id", BigId, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tokens_credited", sa.BigInteger, nullable=False),
    )

    _create_owned_table(
        "conversation_messages",
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
    )

    _create_owned_table(
        "prompts",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("is_selected", sa.Boolean, nullable=False, server_default=sa.false()),
    )

    op.create_table(
        "idempotency_records",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False, server_default="0"),
        sa.Column("response", sa.Text, nullable=False, server_default=""),
        _now_column("created_at"),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_id_key"),
    )


def downgrade() -> None:
    for table in (
        "idempotency_records",
        "prompts",
        "conversation_messages",
        "user_plans",
        "plans",
        "token_ledger",
    ):
        op.drop_table(table)
