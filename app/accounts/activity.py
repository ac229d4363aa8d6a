"""The profile page's activity log: what a user did, with free-form JSON metadata."""

from __future__ import annotations

from typing import Any

from databases import Database
from databases.interfaces import Record

from app.accounts.json_columns import dump_json, load_json
from app.db.sql import insert_returning_id, newest_owned
from app.db.tables.accounts import user_activity
from app.db.tables.base import isoformat
from app.errors import bad_request

# The metadata is the client's own JSON; bounded so a log row stays a log row.
MAX_METADATA_BYTES = 4096


def _serialize(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "action": row["action"],
        "metadata": load_json(row["metadata"]),
        "ip_address": row["ip_address"],
        "user_agent": row["user_agent"],
        "created_at": isoformat(row["created_at"]),
    }


def encode_metadata(metadata: dict[str, Any] | None) -> str | None:
    """The metadata as stored text; a 400 past MAX_METADATA_BYTES."""
    text = dump_json(metadata)
    if text is not None and len(text.encode()) > MAX_METADATA_BYTES:
        raise bad_request(f"metadata must be at most {MAX_METADATA_BYTES} bytes of JSON")
    return text


async def log_activity(
    db: Database,
    user_id: int,
    action: str,
    metadata: str | None,
    ip_address: str | None,
    user_agent: str | None,
) -> int:
    """The new row's id; `metadata` is already encoded by `encode_metadata`."""
    return await insert_returning_id(
        db,
        user_activity,
        user_id=user_id,
        action=action,
        metadata=metadata,
        ip_address=ip_address,
        user_agent=user_agent,
    )


async def recent_activity(db: Database, user_id: int, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` rows, newest first."""
    rows = await db.fetch_all(newest_owned(user_activity, user_id, limit))
    return [_serialize(row) for row in rows]
