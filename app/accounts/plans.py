"""Plans (a public price list, seeded by the migration) and subscriptions to them.

A subscription and the tokens it brings are one transaction: the user never has a plan
without its tokens, nor tokens credited twice for one plan.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.accounts import ledger
from app.db.sql import fetch_returned
from app.db.tables.accounts import plans, user_plans
from app.db.tables.base import isoformat, utcnow
from app.errors import not_found

ACTIVE = "active"
# A plan level's limit on a user's own active prompts; -1 is unlimited.
MAX_OWN_PROMPTS = {1: 0, 2: 3, 3: -1}
FREE_LEVEL = 1


def active_subscription_filter(user_id: int) -> sa.ColumnElement[bool]:
    """A subscription counts while its status is active and its end date is ahead."""
    return sa.and_(
        user_plans.c.user_id == user_id,
        user_plans.c.status == ACTIVE,
        user_plans.c.end_date > utcnow(),
    )


async def current_plan_level(db: Database, user_id: int) -> int:
    """The level of the user's active plan (the newest, should there be several); 1 without one.

    What gates prompts: the prompts half reads it, and `MAX_OWN_PROMPTS` maps it to a limit.
    """
    level = await db.fetch_val(
        sa.select(plans.c.level)
        .join(user_plans, user_plans.c.plan_id == plans.c.id)
        .where(active_subscription_filter(user_id))
        .order_by(user_plans.c.id.desc())
        .limit(1)
    )
    return FREE_LEVEL if level is None else int(level)


def serialize_plan(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "price": row["price_cents"] / 100,
        "price_cents": row["price_cents"],
        "currency": row["currency"],
        "tokens": row["tokens"],
        "duration_days": row["duration_days"],
        "is_active": bool(row["is_active"]),
    }


async def list_plans(db: Database) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(plans).where(plans.c.is_active == sa.true()).order_by(plans.c.price_cents)
    )
    return [serialize_plan(row) for row in rows]


async def require_active_plan(db: Database, plan_id: int) -> Record:
    row = await db.fetch_one(
        sa.select(plans).where(plans.c.id == plan_id, plans.c.is_active == sa.true())
    )
    if row is None:
        raise not_found("plan not found")
    return row


def _serialize_subscription(row: Record, plan_name: str) -> dict[str, Any]:
    now = utcnow()
    end = row["end_date"]
    end_aware = end if end.tzinfo else end.replace(tzinfo=now.tzinfo)
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "plan_id": row["plan_id"],
        "plan_name": plan_name,
        "tokens_credited": row["tokens_credited"],
        "start_date": isoformat(row["start_date"]),
        "end_date": isoformat(end),
        "is_active": end_aware > now,
        "created_at": isoformat(row["created_at"]),
    }


async def list_subscriptions(db: Database, user_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        sa.select(user_plans, plans.c.name.label("plan_name"))
        .join(plans, plans.c.id == user_plans.c.plan_id)
        .where(user_plans.c.user_id == user_id)
        .order_by(user_plans.c.id.desc())
    )
    return [_serialize_subscription(row, row["plan_name"]) for row in rows]


async def subscribe(
    db: Database, user_id: int, plan: Record, idempotency_key: str | None
) -> tuple[dict[str, Any], int]:
    """The new subscription and the new balance. Call inside `db.transaction()`.

    The credit goes first: it is the write that locks the user row (and 404s a missing user)
    before anything else is written.
    """
    balance = await ledger.credit(
        db,
        user_id,
        plan["tokens"],
        "plan",
        {"plan_id": plan["id"], "plan_name": plan["name"]},
        idempotency_key,
    )
    start = utcnow()
    values = {
        "user_id": user_id,
        "plan_id": plan["id"],
        "start_date": start,
        "end_date": start + timedelta(days=plan["duration_days"]),
        "tokens_credited": plan["tokens"],
    }
    row = await fetch_returned(db, user_plans.insert().values(**values).returning(*user_plans.c))
    return _serialize_subscription(row, plan["name"]), balance
