"""Prompts: the instructions a Realtime session starts with, from a catalogue gated by plan.

Base prompts (seeded, no owner) are open to plans whose level reaches their `plan_required`;
a user's own prompts count against their plan's `MAX_OWN_PROMPTS`. The prompt in use is
`users.selected_prompt_id`. Deleting is a soft delete (`is_active` false), so a message or a
selection that named the prompt never points at a missing row; a deleted selection falls back
to the default assistant (the lowest-id active base prompt of level 1).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.accounts.plans import (
    FREE_LEVEL,
    FREE_PLAN_NAME,
    MAX_OWN_PROMPTS,
    active_plan,
    current_plan_level,
)
from app.db.sql import fetch_returned
from app.db.tables.accounts import prompts
from app.db.tables.base import isoformat, utcnow
from app.db.tables.users import users
from app.errors import DomainError, not_found

UNLIMITED = -1
# Even an unlimited plan keeps a user's catalogue to a size one response can carry.
MAX_OWN_PROMPTS_EVER = 200
LIMIT_REACHED = "Prompt limit reached for your plan"
NOT_ACCESSIBLE = "Prompt not found or not accessible"
NOT_DELETABLE = "Prompt not found or cannot be deleted"


def serialize(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "title": row["title"],
        "description": row["description"],
        "content": row["content"],
        "plan_required": row["plan_required"],
        "category": row["category"],
        "voice_gender": row["voice_gender"],
        "is_base": bool(row["is_base"]),
        "is_active": bool(row["is_active"]),
        "created_at": isoformat(row["created_at"]),
    }


def _open_to(user_id: int, level: int) -> sa.ColumnElement[bool]:
    """The active prompts a user at `level` may use: their own and the base prompts it reaches."""
    return sa.and_(
        prompts.c.is_active == sa.true(),
        sa.or_(
            prompts.c.user_id == user_id,
            sa.and_(prompts.c.is_base == sa.true(), prompts.c.plan_required <= level),
        ),
    )


def _own_active(user_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        prompts.c.user_id == user_id,
        prompts.c.is_base == sa.false(),
        prompts.c.is_active == sa.true(),
    )


def _limit_of(level: int) -> int:
    return MAX_OWN_PROMPTS.get(level, MAX_OWN_PROMPTS[FREE_LEVEL])


def _limits(level: int, current: int) -> dict[str, Any]:
    maximum = _limit_of(level)
    more = maximum == UNLIMITED or current < maximum
    return {"current": current, "max": maximum, "can_create_more": more, "canCreateMore": more}


async def _user_plan(db: Database, user_id: int) -> tuple[str, int]:
    """The active plan's name and level, or the free one's."""
    plan = await active_plan(db, user_id)
    return (FREE_PLAN_NAME, FREE_LEVEL) if plan is None else (plan["name"], int(plan["level"]))


async def catalogue(db: Database, user_id: int, selected_prompt_id: int | None) -> dict[str, Any]:
    """`GET /api/prompts` data: the plan, the base prompts it opens (by level, then title),
    the user's own prompts (newest first), the selection and how many more they may create."""
    plan_name, level = await _user_plan(db, user_id)
    rows = await db.fetch_all(sa.select(prompts).where(_open_to(user_id, level)))
    base = sorted(
        (row for row in rows if row["is_base"]),
        key=lambda row: (row["plan_required"], row["title"], row["id"]),
    )
    own = sorted((row for row in rows if not row["is_base"]), key=lambda row: -row["id"])
    return {
        "userPlan": {"plan_name": plan_name, "plan_level": level},
        "basePrompts": [serialize(row) for row in base],
        "userPrompts": [serialize(row) for row in own],
        "selectedPromptId": selected_prompt_id,
        "promptLimits": _limits(level, len(own)),
    }


async def create_prompt(
    db: Database, user_id: int, fields: dict[str, Any], *, selected: bool
) -> dict[str, Any]:
    """A new own prompt, if the plan allows one more (403 otherwise); selected on request.

    The user's row is written first: that row lock makes a user's concurrent creations wait
    for each other, so two of them cannot both see room for the last prompt.
    """
    async with db.transaction():
        locked = await db.fetch_val(
            users.update()
            .where(users.c.id == user_id)
            .values(updated_at=utcnow())
            .returning(users.c.id)
        )
        if locked is None:
            raise not_found("user not found")
        limit = _limit_of(await current_plan_level(db, user_id))
        current = await db.fetch_val(
            sa.select(sa.func.count()).select_from(prompts).where(_own_active(user_id))
        )
        if current >= MAX_OWN_PROMPTS_EVER or (limit != UNLIMITED and current >= limit):
            raise DomainError(403, LIMIT_REACHED)
        row = await fetch_returned(
            db,
            prompts.insert()
            .values(user_id=user_id, plan_required=0, is_base=False, is_active=True, **fields)
            .returning(*prompts.c),
        )
        if selected:
            await db.execute(
                users.update().where(users.c.id == user_id).values(selected_prompt_id=row["id"])
            )
    return serialize(row)


async def select_prompt(db: Database, user_id: int, prompt_id: int) -> None:
    """Make `prompt_id` the user's prompt: one of their own, or a base prompt their plan opens."""
    level = await current_plan_level(db, user_id)
    open_prompt = sa.exists().where(prompts.c.id == prompt_id, _open_to(user_id, level))
    selected = await db.fetch_val(
        users.update()
        .where(users.c.id == user_id, open_prompt)
        .values(selected_prompt_id=prompt_id, updated_at=utcnow())
        .returning(users.c.id)
    )
    if selected is None:
        raise not_found(NOT_ACCESSIBLE)


def _default_prompt_id() -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.min(prompts.c.id))
        .where(
            prompts.c.is_base == sa.true(),
            prompts.c.is_active == sa.true(),
            prompts.c.plan_required == FREE_LEVEL,
        )
        .scalar_subquery()
    )


async def delete_prompt(db: Database, user_id: int, prompt_id: int) -> bool:
    """Soft-delete one of the user's own active prompts; True if it was the selected one (the
    selection then moves to the default assistant). Base, foreign and deleted prompts: 404."""
    async with db.transaction():
        deleted = await db.fetch_val(
            prompts.update()
            .where(prompts.c.id == prompt_id, _own_active(user_id))
            .values(is_active=False)
            .returning(prompts.c.id)
        )
        if deleted is None:
            raise not_found(NOT_DELETABLE)
        was_selected = await db.fetch_val(
            users.update()
            .where(users.c.id == user_id, users.c.selected_prompt_id == prompt_id)
            .values(selected_prompt_id=_default_prompt_id(), updated_at=utcnow())
            .returning(users.c.id)
        )
    return was_selected is not None


async def usable_prompt(db: Database, user_id: int, prompt_id: int | None) -> Record | None:
    """The selected prompt's content and voice gender, while it is active and the user's own
    or a base prompt; None when nothing usable is selected."""
    if prompt_id is None:
        return None
    return await db.fetch_one(
        sa.select(prompts.c.content, prompts.c.voice_gender).where(
            prompts.c.id == prompt_id,
            prompts.c.is_active == sa.true(),
            sa.or_(prompts.c.user_id == user_id, prompts.c.is_base == sa.true()),
        )
    )
