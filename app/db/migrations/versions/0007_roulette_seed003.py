"""roulette: seed 003's clients: keys up to 255 characters, the "00" cell (stored as 37)

Revision ID: 0007_roulette_seed003
Revises: 0003_roulette
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_roulette_seed003"
down_revision: str | Sequence[str] | None = "0003_roulette"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _numbers_up_to(highest: int) -> None:
    # batch mode: SQLite cannot change a table's constraints in place.
    with op.batch_alter_table("roulette_numbers") as numbers:
        numbers.drop_constraint("number_on_the_wheel", type_="check")
        numbers.create_check_constraint(
            "number_on_the_wheel", f"number >= 0 AND number <= {highest}"
        )


def upgrade() -> None:
    with op.batch_alter_table("roulette_sessions") as table:
        table.alter_column("key", type_=sa.String(255), existing_nullable=False)
    _numbers_up_to(37)


def downgrade() -> None:
    op.execute("DELETE FROM roulette_numbers WHERE number = 37")
    _numbers_up_to(36)
    with op.batch_alter_table("roulette_sessions") as table:
        table.alter_column("key", type_=sa.String(64), existing_nullable=False)
