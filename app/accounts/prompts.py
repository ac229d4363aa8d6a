"""User prompts: instructions for the Realtime session; the selected one is used on mint.

Creating a prompt selects it (the Mini App's "save and use"), unless `selected` is false;
at most one prompt per user is selected, switched inside one transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.db.sql import fetch_returned
from app.db.tables.accounts import prompts
from app.db.tables.base import isoformat


def _serialize(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "name": row["name"],
        "content": row["content"],
        "is_selected": bool(row["is_selected"]),
        "created_at": isoformat(row["created_at"]),
    }


async def list_prompts(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(prompts).where(prompts.c.user_id == user_id).order_by(prompts.c.id)
    )
    return [_serialize(row) for row in rows]


async def create_prompt(
    db: Database, user_id: int, name: str, content: str, selected: bool
) -> dict[str, Any]:
    async with db.transaction():
        if selected:
            await db.execute(
                prompts.update().where(prompts.c.user_id == user_id).values(is_selected=False)
            )
        row = await fetch_returned(
            db,
            prompts.insert()
            .values(user_id=user_id, name=name, content=content, is_selected=selected)
            .returning(*prompts.c),
        )
    return _serialize(row)


async def selected_instructions(db: Database, user_id: int) -> str | None:
    return await db.fetch_val(
        sa.select(prompts.c.content).where(
            prompts.c.user_id == user_id, prompts.c.is_selected == sa.true()
        )
    )
