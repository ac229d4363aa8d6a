"""Messenger (seed 002): chats, their members' AI modes, messages and AI answers.

`messages` carries the sender's `client_msg_id` under a unique constraint so that a client
retrying a send never creates a duplicate. `ai_answers` is the AI job's key in the database:
one row per (source message, member, kind), so a job reclaimed from a dead worker cannot answer
twice even if two workers race on it.
"""

import sqlalchemy as sa

from app.db.tables.base import BigId, created_at, metadata

AI_MODES = ("off", "advice", "autoreply")

chats = sa.Table(
    "chats",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("title", sa.String(200)),
    sa.Column("created_by", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")),
    created_at(),
)

chat_members = sa.Table(
    "chat_members",
    metadata,
    sa.Column(
        "chat_id",
        sa.BigInteger,
        sa.ForeignKey("chats.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("ai_mode", sa.String(16), nullable=False, server_default="off"),
    created_at(),
    sa.CheckConstraint("ai_mode IN ('off', 'advice', 'autoreply')", name="ai_mode_known"),
    sa.Index("ix_chat_members_user_id", "user_id"),
)

# `user_id` refuses to be put in a chat by `blocked_id` (chats are created with their members).
chat_blocks = sa.Table(
    "chat_blocks",
    metadata,
    sa.Column(
        "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "blocked_id",
        sa.BigInteger,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    created_at(),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "chat_id", sa.BigInteger, sa.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "sender_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("ai_generated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("client_msg_id", sa.String(64)),
    created_at(),
    sa.UniqueConstraint("sender_id", "client_msg_id", name="uq_messages_sender_client_msg"),
    sa.Index("ix_messages_chat_id_id", "chat_id", "id"),
    # A sender's newest messages, for their per-minute limit.
    sa.Index("ix_messages_sender_id_id", "sender_id", "id"),
)


def _ai_job_columns(message_column: str) -> list[sa.Column]:
    """An AI job's identity: kind, chat, the message it answers and the member it works for."""
    return [
        sa.Column("id", BigId, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "chat_id", sa.BigInteger, sa.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            message_column,
            sa.BigInteger,
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
    ]


ai_answers = sa.Table(
    "ai_answers",
    metadata,
    *_ai_job_columns("source_message_id"),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("reply_message_id", sa.BigInteger, sa.ForeignKey("messages.id", ondelete="SET NULL")),
    created_at(),
    sa.UniqueConstraint("source_message_id", "user_id", "kind", name="uq_ai_answers_job_key"),
    sa.CheckConstraint("kind IN ('advice', 'autoreply')", name="kind_known"),
    sa.Index("ix_ai_answers_user_id_chat_id", "user_id", "chat_id"),
)

# AI jobs that could not be put on the Redis Stream when their message was stored (Redis
# down): kept here, in the same database as the message, until an AI worker moves them to the
# stream. Same key as `ai_answers`, so a job parked twice is parked once.
ai_job_outbox = sa.Table(
    "ai_job_outbox",
    metadata,
    *_ai_job_columns("message_id"),
    created_at(),
    sa.UniqueConstraint("message_id", "user_id", "kind", name="uq_ai_job_outbox_job_key"),
)
