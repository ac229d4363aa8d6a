"""Subscriptions: buying a plan, what is left of it, and closing it.

A subscription is active while its status is `active` and its end date is ahead. What it used
is not counted as it goes: it is the user's spends between its start and its end (or now),
summed from the ledger when read, so a spend never writes more than its ledger row.
Buying a plan and the tokens it brings are one transaction: the user never has a plan without
its tokens, nor tokens credited twice for one plan.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.accounts import ledger
from app.accounts.json_columns import load_json
from app.accounts.plans import ACTIVE, FREE_LEVEL, FREE_PLAN_NAME, active_subscription_filter
from app.db.tables.accounts import plans, token_ledger, user_plans
from app.db.tables.base import isoformat, utcnow

EXPIRED = "expired"
CANCELLED = "cancelled"

_tokens_used = (
    sa.select(sa.func.coalesce(sa.func.sum(-token_ledger.c.delta), 0))
    .where(
        token_ledger.c.user_id == user_plans.c.user_id,
        token_ledger.c.reason == "spend",
        token_ledger.c.created_at >= user_plans.c.start_date,
        token_ledger.c.created_at < user_plans.c.end_date,
    )
    .scalar_subquery()
    .label("tokens_used")
)

# A subscription with its plan's name, level and features and the tokens it used: one query.
_with_plan = sa.select(
    user_plans,
    plans.c.name.label("plan_name"),
    plans.c.level.label("plan_level"),
    plans.c.features.label("plan_features"),
    _tokens_used,
).join(plans, plans.c.id == user_plans.c.plan_id)


def _is_active(row: Record) -> bool:
    end = row["end_date"]
    now = utcnow()
    return row["status"] == ACTIVE and (end if end.tzinfo else end.replace(tzinfo=now.tzinfo)) > now


def serialize_user_plan(row: Record) -> dict[str, Any]:
    """A subscription as the mini-app lists it; one whose time ran out reads as expired."""
    used = int(row["tokens_used"])
    status = row["status"]
    if status == ACTIVE and not _is_active(row):
        status = EXPIRED
    return {
        "id": row["id"],
        "plan_name": row["plan_name"],
        "token_amount": row["tokens_credited"],
        "tokens_used": used,
        "tokens_remaining": max(0, row["tokens_credited"] - used),
        "start_date": isoformat(row["start_date"]),
        "end_date": isoformat(row["end_date"]),
        "status": status,
        "features": load_json(row["plan_features"]) or [],
    }


async def list_user_plans(db: Database, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """`{active_plans, closed_plans}`, each newest first."""
    rows = await db.fetch_all(
        _with_plan.where(user_plans.c.user_id == user_id).order_by(user_plans.c.id.desc())
    )
    listed: dict[str, list[dict[str, Any]]] = {"active_plans": [], "closed_plans": []}
    for row in rows:
        plan = serialize_user_plan(row)
        listed["active_plans" if plan["status"] == ACTIVE else "closed_plans"].append(plan)
    return listed


async def active_subscription(db: Database, user_id: int) -> Record | None:
    """The user's active subscription (the newest, should there be several), with its plan."""
    return await db.fetch_one(
        _with_plan.where(active_subscription_filter(user_id))
        .order_by(user_plans.c.id.desc())
        .limit(1)
    )


async def subscribe(
    db: Database,
    user_id: int,
    plan: Record,
    payment_id: str | None,
    idempotency_key: str | None,
) -> tuple[int, int]:
    """The new subscription's id and the new balance. Call inside `db.transaction()`.

    The credit goes first: it is the write that locks the user row (and 404s a missing user),
    so two purchases for one user close each other's subscriptions in turn, not both at once.
    """
    details = {"plan_id": plan["id"], "plan_name": plan["name"], "payment_id": payment_id}
    balance = await ledger.credit(db, user_id, plan["tokens"], "plan", details, idempotency_key)
    start = utcnow()
    await db.execute(
        user_plans.update()
        .where(active_subscription_filter(user_id))
        .values(status=CANCELLED, end_date=start)
    )
    subscription_id = await db.fetch_val(
        user_plans.insert()
        .values(
            user_id=user_id,
            plan_id=plan["id"],
            start_date=start,
            end_date=start + timedelta(days=plan["duration_days"]),
            tokens_credited=plan["tokens"],
            status=ACTIVE,
        )
        .returning(user_plans.c.id)
    )
    return subscription_id, balance


async def current_plan(db: Database, user_id: int) -> dict[str, Any]:
    """The user's plan as the mini-app's profile shows it (without the balance).

    A plan whose tokens are all used is closed by this read (`expired`, ending now), and only
    the read that closed it says `plan_expired`, so the client alerts once.
    """
    row = await active_subscription(db, user_id)
    if row is None:
        return _free_plan()
    plan = serialize_user_plan(row)
    if plan["tokens_remaining"] == 0:
        closed = await db.fetch_val(
            user_plans.update()
            .where(user_plans.c.id == row["id"], user_plans.c.status == ACTIVE)
            .values(status=EXPIRED, end_date=utcnow())
            .returning(user_plans.c.id)
        )
        return {**_free_plan(), "plan_expired": True} if closed is not None else _free_plan()
    return {
        "has_active_subscription": True,
        "current_plan_name": plan["plan_name"],
        "plan_level": row["plan_level"],
        "subscription_id": plan["id"],
        "plan_token_amount": plan["token_amount"],
        "tokens_used_in_plan": plan["tokens_used"],
        "tokens_remaining_in_plan": plan["tokens_remaining"],
        "start_date": plan["start_date"],
        "end_date": plan["end_date"],
        "features": plan["features"],
    }


def _free_plan() -> dict[str, Any]:
    return {
        "has_active_subscription": False,
        "current_plan_name": FREE_PLAN_NAME,
        "plan_level": FREE_LEVEL,
    }
