"""Conversation history: the messages a voice session replays as context on reconnect."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.db.sql import fetch_returned
from app.db.tables.accounts import conversation_messages
from app.db.tables.base import isoformat

ROLES = ("user", "assistant", "system")


def _serialize(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "role": row["role"],
        "content": row["content"],
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


async def add_message(db: Database, user_id: int, role: str, content: str) -> dict[str, Any]:
    row = await fetch_returned(
        db,
        conversation_messages.insert()
        .values(user_id=user_id, role=role, content=content)
        .returning(*conversation_messages.c),
    )
    return _serialize(row)
