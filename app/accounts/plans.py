"""Plans: the public price list (seeded by the migrations), its admin edits and plan levels.

A plan's `level` (1-3) is what gates prompts; the mini-app derives the same levels from the
seeded plans' names, so a plan created without a level takes it from those names.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.accounts.json_columns import dump_json, load_json
from app.db.errors import is_unique_violation
from app.db.tables.accounts import plans, user_plans
from app.db.tables.base import isoformat, utcnow
from app.errors import DomainError, not_found

ACTIVE = "active"
# A plan level's limit on a user's own active prompts; -1 is unlimited.
MAX_OWN_PROMPTS = {1: 0, 2: 3, 3: -1}
FREE_LEVEL = 1
# What the mini-app shows for a user without an active subscription (the original's words).
FREE_PLAN_NAME = "Бесплатный план"
# The seeded plans' names, whose levels the mini-app hard-codes.
LEVELS_BY_NAME = {"Базовый": 1, "Премиум": 2, "Про": 3}
PLAN_NOT_FOUND = "Plan not found"


def active_subscription_filter(user_id: int) -> sa.ColumnElement[bool]:
    """A subscription counts while its status is active and its end date is ahead."""
    return sa.and_(
        user_plans.c.user_id == user_id,
        user_plans.c.status == ACTIVE,
        user_plans.c.end_date > utcnow(),
    )


async def active_plan(db: Database, user_id: int) -> Record | None:
    """The `name` and `level` of the user's active plan (the newest, should there be several)."""
    return await db.fetch_one(
        sa.select(plans.c.name, plans.c.level)
        .join(user_plans, user_plans.c.plan_id == plans.c.id)
        .where(active_subscription_filter(user_id))
        .order_by(user_plans.c.id.desc())
        .limit(1)
    )


async def current_plan_level(db: Database, user_id: int) -> int:
    """The level of the user's active plan; 1 without one. What gates prompts:
    `MAX_OWN_PROMPTS` maps it to a limit."""
    plan = await active_plan(db, user_id)
    return FREE_LEVEL if plan is None else int(plan["level"])


def serialize_plan(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"] or None,
        "price": row["price_cents"] / 100,
        "currency": row["currency"],
        "token_amount": row["tokens"],
        "features": load_json(row["features"]) or [],
        "is_active": bool(row["is_active"]),
        "created_at": isoformat(row["created_at"]),
        "level": row["level"],
        "duration_days": row["duration_days"],
    }


async def list_plans(db: Database, *, active_only: bool) -> list[dict[str, Any]]:
    """The public list (active plans, cheapest first) or the admin's (all, by id)."""
    query = sa.select(plans)
    if active_only:
        query = query.where(plans.c.is_active == sa.true()).order_by(
            plans.c.price_cents, plans.c.id
        )
    else:
        query = query.order_by(plans.c.id)
    return [serialize_plan(row) for row in await db.fetch_all(query)]


async def require_active_plan(db: Database, plan_id: int) -> Record:
    row = await db.fetch_one(
        sa.select(plans).where(plans.c.id == plan_id, plans.c.is_active == sa.true())
    )
    if row is None:
        raise not_found(PLAN_NOT_FOUND)
    return row


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    """API field names and units to the table's."""
    renamed = {"token_amount": "tokens", "price": "price_cents"}
    values = {renamed.get(name, name): value for name, value in fields.items()}
    if "price_cents" in values:
        values["price_cents"] = round(values["price_cents"] * 100)
    if "features" in values:
        values["features"] = dump_json(values["features"])
    if "description" in values:
        values["description"] = values["description"] or ""
    return values


async def _write_plan(db: Database, statement: Any) -> dict[str, Any]:
    """An INSERT or UPDATE … RETURNING of a plan; a taken name is a 409, as the index says."""
    try:
        row = await db.fetch_one(statement.returning(*plans.c))
    except Exception as exc:
        if is_unique_violation(exc):
            raise DomainError(409, "A plan with this name already exists") from None
        raise
    if row is None:
        raise not_found(PLAN_NOT_FOUND)
    return serialize_plan(row)


async def create_plan(db: Database, fields: dict[str, Any]) -> dict[str, Any]:
    if fields.get("level") is None:
        fields = {**fields, "level": LEVELS_BY_NAME.get(fields["name"], FREE_LEVEL)}
    return await _write_plan(db, plans.insert().values(**_columns(fields)))


async def update_plan(db: Database, plan_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Only the given fields change; nothing given reads the plan back (404 if missing)."""
    if not fields:
        row = await db.fetch_one(sa.select(plans).where(plans.c.id == plan_id))
        if row is None:
            raise not_found(PLAN_NOT_FOUND)
        return serialize_plan(row)
    statement = plans.update().where(plans.c.id == plan_id).values(**_columns(fields))
    return await _write_plan(db, statement)


async def delete_plan(db: Database, plan_id: int) -> None:
    """A plan somebody subscribed to stays, since its subscriptions still name it (409): one
    conditional DELETE, then a look at why it deleted nothing."""
    subscribed = sa.exists().where(user_plans.c.plan_id == plan_id)
    deleted = await db.fetch_val(
        plans.delete().where(plans.c.id == plan_id, ~subscribed).returning(plans.c.id)
    )
    if deleted is not None:
        return
    if await db.fetch_val(sa.select(plans.c.id).where(plans.c.id == plan_id)) is None:
        raise not_found(PLAN_NOT_FOUND)
    raise DomainError(409, "Plan has subscriptions and cannot be deleted; deactivate it instead")
