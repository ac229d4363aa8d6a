"""Seed 000's plans (public price list) and subscriptions (granted by service/admin only).

Subscribing is what a payment webhook does after a successful charge, so it accepts an
`Idempotency-Key`: webhooks are delivered at least once.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.accounts.docs import ERROR, documented
from app.accounts.idempotency import Outcome, idempotency_key, run_once
from app.accounts.metrics import tokens_credited
from app.accounts.plans import list_plans, list_subscriptions, require_active_plan, subscribe
from app.accounts.routes.common import body_and_user_id, database, existing_user, query_user_id
from app.accounts.validation import positive_int
from app.auth import Role
from app.auth.guards import requires

bp = Blueprint("accounts_plans")

PLAN = {
    "id": int,
    "name": str,
    "description": str,
    "price": float,
    "price_cents": int,
    "currency": str,
    "tokens": int,
    "duration_days": int,
    "is_active": bool,
}
SUBSCRIPTION = {
    "id": int,
    "user_id": int,
    "plan_id": int,
    "plan_name": str,
    "tokens_credited": int,
    "start_date": str,
    "end_date": str,
    "is_active": bool,
    "created_at": str,
}


@bp.get("/api/plans")
@documented("Every active plan (public: a price list)", responses={200: [PLAN]}, public=True)
async def get_plans(request: Request) -> HTTPResponse:
    return json(await list_plans(database(request)))


@bp.get("/api/user-plans")
@documented(
    "A user's subscriptions, newest first",
    query=[("user_id", int)],
    responses={200: [SUBSCRIPTION], 401: ERROR, 403: ERROR, 404: ERROR},
)
@requires()
async def get_user_plans(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    db = database(request)
    await existing_user(request, user_id)
    return json(await list_subscriptions(db, user_id))


@bp.post("/api/user-plans")
@documented(
    "Subscribe a user to a plan and credit its tokens (service and admin tokens only)",
    body={"user_id": int, "plan_id": int},
    responses={
        201: {**SUBSCRIPTION, "balance": int},
        400: ERROR,
        401: ERROR,
        403: ERROR,
        404: ERROR,
        422: ERROR,
    },
)
@requires(Role.SERVICE, Role.ADMIN)
async def create_user_plan(request: Request) -> HTTPResponse:
    body, user_id = body_and_user_id(request)
    plan_id = positive_int(body.get("plan_id"), "plan_id")
    key = idempotency_key(request)
    db = database(request)
    # Read before the transaction: on SQLite a transaction that reads first cannot upgrade
    # to a writer under contention, one that writes first simply waits its turn.
    plan = await require_active_plan(db, plan_id)

    async def action() -> Outcome:
        subscription, balance = await subscribe(db, user_id, plan, key)
        return Outcome(201, {**subscription, "balance": balance})

    outcome = await run_once(
        db, user_id=user_id, key=key, operation="subscribe", request_body=body, action=action
    )
    if not outcome.replayed:
        tokens_credited.labels("plan").inc(plan["tokens"])
    return outcome.response()
