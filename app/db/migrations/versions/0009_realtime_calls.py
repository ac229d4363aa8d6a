"""accounts: server-metered OpenAI Realtime calls and the ledger's unique response ids

Revision ID: 0009_realtime_calls
Revises: 0008_miniapp_prompts
Create Date: 2026-11-29

A metered call keeps what it holds from the balance (`held`), what it has charged, its usage
by token type and who holds its sideband. A ledger row that charges a Realtime response names
the response: `token_ledger.response_id` is unique, so no response is ever charged twice,
whichever worker sees it and however often.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_realtime_calls"
down_revision: str | Sequence[str] | None = "0008_miniapp_prompts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "realtime_calls",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("users.id", name="fk_realtime_calls_user_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("openai_call_id", sa.String(128), unique=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("voice", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("end_reason", sa.String(32)),
        sa.Column("held", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("charged", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("responses", sa.Integer, nullable=False, server_default="0"),
        sa.Column("usage", sa.Text, nullable=False, server_default="{}"),
        sa.Column("worker", sa.String(128)),
        sa.Column("attaches", sa.Integer, nullable=False, server_default="0"),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_realtime_calls_user_id", "realtime_calls", ["user_id"])
    with op.batch_alter_table("token_ledger") as table:
        table.add_column(sa.Column("response_id", sa.String(128)))
        table.create_unique_constraint("uq_token_ledger_response_id", ["response_id"])


def downgrade() -> None:
    with op.batch_alter_table("token_ledger") as table:
        table.drop_constraint("uq_token_ledger_response_id", type_="unique")
        table.drop_column("response_id")
    op.drop_index("ix_realtime_calls_user_id", "realtime_calls")
    op.drop_table("realtime_calls")
