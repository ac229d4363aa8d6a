"""messenger: users' blocks (whom a user refuses to be put in a chat with), messages by sender

Revision ID: 0010_messenger_blocks
Revises: 0005_ai_job_outbox
Create Date: 2026-11-29

A chat is created with its members; a member may leave it, and `chat_blocks` lets a user refuse
to be put in a chat by someone again. Creating a chat with a user who blocks the creator fails
with the same error as naming a user who does not exist, so ids cannot be enumerated.
`ix_messages_sender_id_id` finds a sender's newest messages for their per-minute limit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_messenger_blocks"
down_revision: str | Sequence[str] | None = "0005_ai_job_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_blocks",
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "blocked_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_messages_sender_id_id", "messages", ["sender_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_messages_sender_id_id", table_name="messages")
    op.drop_table("chat_blocks")
