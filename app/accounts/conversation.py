"""Conversation history: the messages a voice session replays as context when it starts again."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.db.sql import insert_returning_id
from app.db.tables.accounts import conversation_messages
from app.db.tables.base import isoformat


def _serialize(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "session_id": row["session_id"],
        "message_type": row["message_type"],
        "content": row["content"],
        "audio_duration_seconds": row["audio_duration_seconds"],
        "created_at": isoformat(row["created_at"]),
    }


async def last_messages(db: Database, user_id: int, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` messages, oldest first: the order a model reads context in."""
    rows = await db.fetch_all(
        sa.select(conversation_messages)
        .where(conversation_messages.c.user_id == user_id)
        .order_by(conversation_messages.c.id.desc())
        .limit(limit)
    )
    return [_serialize(row) for row in reversed(rows)]


async def add_message(
    db: Database,
    user_id: int,
    message_type: str,
    content: str,
    session_id: int | None,
    audio_duration_seconds: int,
) -> int:
    """The new message's id."""
    return await insert_returning_id(
        db,
        conversation_messages,
        user_id=user_id,
        message_type=message_type,
        content=content,
        session_id=session_id,
        audio_duration_seconds=audio_duration_seconds,
    )
