"""Voice sessions: what the mini-app reports when a conversation ends, and the totals over them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.db.sql import insert_returning_id, newest_owned
from app.db.tables.accounts import voice_sessions
from app.db.tables.base import isoformat

REPORTED = (
    "words_spoken",
    "ai_responses",
    "session_quality",
    "context_summary",
    "last_conversation_topic",
)


def _serialize(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        **{name: row[name] for name in REPORTED},
        "created_at": isoformat(row["created_at"]),
    }


async def record_session(db: Database, user_id: int, report: dict[str, Any]) -> int:
    """The new session's id; `report` holds the REPORTED fields."""
    return await insert_returning_id(
        db, voice_sessions, user_id=user_id, **{name: report[name] for name in REPORTED}
    )


async def recent_sessions(db: Database, user_id: int, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` sessions, newest first."""
    rows = await db.fetch_all(newest_owned(voice_sessions, user_id, limit))
    return [_serialize(row) for row in rows]


async def session_stats(db: Database, user_id: int) -> dict[str, Any]:
    """Totals over all the user's sessions in one query; `avg_quality` is None when no session
    reported a quality."""
    row = await db.fetch_one(
        sa.select(
            sa.func.count().label("total_sessions"),
            sa.func.coalesce(sa.func.sum(voice_sessions.c.words_spoken), 0).label("total_words"),
            sa.func.coalesce(sa.func.sum(voice_sessions.c.ai_responses), 0).label(
                "total_responses"
            ),
            sa.func.avg(voice_sessions.c.session_quality).label("avg_quality"),
        ).where(voice_sessions.c.user_id == user_id)
    )
    assert row is not None  # an aggregate without GROUP BY always answers one row
    average = row["avg_quality"]
    return {
        "total_sessions": int(row["total_sessions"]),
        "total_words": int(row["total_words"]),
        "total_responses": int(row["total_responses"]),
        "avg_quality": None if average is None else float(average),
    }
