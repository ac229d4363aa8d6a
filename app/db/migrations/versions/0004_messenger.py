"""messenger: chats, members with AI modes, messages, AI answers

Revision ID: 0004_messenger
Revises: 0001_users
Create Date: 2026-11-21

Written by hand so that it runs unchanged on SQLite and PostgreSQL; constraint names match
app/db/tables/messenger.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_messenger"
down_revision: str | Sequence[str] | None = "0001_users"
branch_labels: str | Sequence[str] | None = ("messenger",)
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("title", sa.String(200)),
        sa.Column(
            "created_by",
            sa.BigInteger,
            sa.ForeignKey("users.id", name="fk_chats_created_by_users", ondelete="SET NULL"),
        ),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_chats"),
    )
    op.create_table(
        "chat_members",
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("ai_mode", sa.String(16), nullable=False, server_default="off"),
        _created_at(),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name="pk_chat_members"),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name="fk_chat_members_chat_id_chats", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_chat_members_user_id_users", ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "ai_mode IN ('off', 'advice', 'autoreply')", name="ck_chat_members_ai_mode_known"
        ),
    )
    op.create_index("ix_chat_members_user_id", "chat_members", ["user_id"])
    op.create_table(
        "messages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("sender_id", sa.BigInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("ai_generated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("client_msg_id", sa.String(64)),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name="fk_messages_chat_id_chats", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name="fk_messages_sender_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("sender_id", "client_msg_id", name="uq_messages_sender_client_msg"),
    )
    op.create_index("ix_messages_chat_id_id", "messages", ["chat_id", "id"])
    op.create_table(
        "ai_answers",
        sa.Column("id", BigId, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("source_message_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reply_message_id", sa.BigInteger),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_ai_answers"),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name="fk_ai_answers_chat_id_chats", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_message_id"],
            ["messages.id"],
            name="fk_ai_answers_source_message_id_messages",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_ai_answers_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reply_message_id"],
            ["messages.id"],
            name="fk_ai_answers_reply_message_id_messages",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("source_message_id", "user_id", "kind", name="uq_ai_answers_job_key"),
        sa.CheckConstraint("kind IN ('advice', 'autoreply')", name="ck_ai_answers_kind_known"),
    )
    op.create_index("ix_ai_answers_user_id_chat_id", "ai_answers", ["user_id", "chat_id"])


def downgrade() -> None:
    op.drop_index("ix_ai_answers_user_id_chat_id", table_name="ai_answers")
    op.drop_table("ai_answers")
    op.drop_index("ix_messages_chat_id_id", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_chat_members_user_id", table_name="chat_members")
    op.drop_table("chat_members")
    op.drop_table("chats")
