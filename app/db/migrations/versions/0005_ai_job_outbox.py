"""messenger: an outbox for AI jobs that could not reach the Redis Stream

Revision ID: 0005_ai_job_outbox
Revises: 0004_messenger
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_ai_job_outbox"
down_revision: str | Sequence[str] | None = "0004_messenger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ai_job_outbox",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "chat_id",
            sa.BigInteger,
            sa.ForeignKey("chats.id", ondelete="CASCADE", name="fk_ai_job_outbox_chat_id_chats"),
            nullable=False,
        ),
        sa.Column(
            "message_id",
            sa.BigInteger,
            sa.ForeignKey(
                "messages.id", ondelete="CASCADE", name="fk_ai_job_outbox_message_id_messages"
            ),
            nullable=False,
        ),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_ai_job_outbox_user_id_users"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.UniqueConstraint("message_id", "user_id", "kind", name="uq_ai_job_outbox_job_key"),
    )


def downgrade() -> None:
    op.drop_table("ai_job_outbox")
