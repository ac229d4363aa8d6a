"""roulette: a save's client id, so that a retried save is stored once

Revision ID: 0010_roulette_client_ids
Revises: 0007_roulette_seed003
Create Date: 2026-11-29

A client that did not hear its save's answer (a dropped connection, a worker that died after
the commit) retries it; with the same `client_id` the retry finds the number already stored
and is answered with the session instead of appending it again. The id lives on the number's
row, so it is bounded like the history and goes with it (a replace clears it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_roulette_client_ids"
down_revision: str | Sequence[str] | None = "0007_roulette_seed003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roulette_numbers") as numbers:
        numbers.add_column(sa.Column("client_id", sa.String(64)))
        numbers.create_unique_constraint(
            "uq_roulette_numbers_session_client_id", ["session_id", "client_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("roulette_numbers") as numbers:
        numbers.drop_constraint("uq_roulette_numbers_session_client_id", type_="unique")
        numbers.drop_column("client_id")
