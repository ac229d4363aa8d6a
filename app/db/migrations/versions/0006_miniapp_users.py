"""accounts: the user fields the seed-000 mini-app reads (premium, voice, prompt, last active)

Revision ID: 0006_miniapp_users
Revises: 0002_accounts
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_miniapp_users"
down_revision: str | Sequence[str] | None = "0002_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a table's columns in place.
    with op.batch_alter_table("users") as users:
        users.add_column(
            sa.Column("is_premium", sa.Boolean, nullable=False, server_default=sa.false())
        )
        users.add_column(sa.Column("selected_voice", sa.String(16)))
        users.add_column(sa.Column("selected_prompt_id", sa.BigInteger))
        users.add_column(
            sa.Column(
                "last_active",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as users:
        for column in ("last_active", "selected_prompt_id", "selected_voice", "is_premium"):
            users.drop_column(column)
