"""Seed 000's plans (the public price list), a user's subscriptions and current plan, and
subscribing (service and admin only).

Subscribing is what a payment webhook does after a successful charge, so it accepts an
`Idempotency-Key`: webhooks are delivered at least once.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.idempotency import Outcome, idempotency_key, run_once
from app.accounts.metrics import tokens_credited
from app.accounts.plans import list_plans, require_active_plan
from app.accounts.routes.common import accounts, existing_user, query_user_id
from app.accounts.schemas import (
    CurrentPlan,
    CurrentPlanFlat,
    PlanList,
    PlanPurchase,
    PlanPurchased,
    UserPlans,
)
from app.accounts.subscriptions import current_plan, list_user_plans, subscribe
from app.auth import Role
from app.auth.guards import requires, resolve_user_id
from app.http.bodies import adapter, document, json_bytes
from app.http.envelopes import SUCCESS_DATA, Failure, Success, enveloped_body, respond_data

bp = Blueprint("accounts_plans")

ERRORS = {status: Failure for status in (400, 401, 403, 404)}


@bp.get("/api/plans", ctx_envelope=SUCCESS_DATA)
@document(
    "Every active plan, cheapest first (public: a price list)",
    responses={200: Success[PlanList]},
    public=True,
    tag="accounts",
)
async def get_plans(request: Request) -> HTTPResponse:
    plans = await list_plans(accounts(request).db, active_only=True)
    return respond_data(PlanList, {"plans": plans})


@bp.get("/api/user-plans", ctx_envelope=SUCCESS_DATA)
@document(
    "A user's subscriptions: active and closed, each newest first",
    query=[("user_id", int)],
    responses={200: Success[UserPlans], **ERRORS},
    tag="accounts",
)
@requires()
async def get_user_plans(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    await existing_user(request, user_id)
    return respond_data(UserPlans, await list_user_plans(accounts(request).db, user_id))


@bp.post("/api/user-plans", ctx_envelope=SUCCESS_DATA)
@document(
    "Subscribe a user to a plan: closes the active one, credits the plan's tokens (service and "
    "admin tokens only); honours Idempotency-Key",
    body=PlanPurchase,
    responses={200: Success[PlanPurchased], 409: Failure, 422: Failure, **ERRORS},
    tag="accounts",
)
@requires(Role.SERVICE, Role.ADMIN)
async def create_user_plan(request: Request) -> HTTPResponse:
    body = enveloped_body(request, PlanPurchase)
    user_id = resolve_user_id(request, body.user_id)
    key = idempotency_key(request)
    db = accounts(request).db
    # Read before the transaction: on SQLite a transaction that reads first cannot upgrade
    # to a writer under contention, one that writes first simply waits its turn.
    plan = await require_active_plan(db, body.plan_id)

    async def action() -> Outcome:
        subscription_id, balance = await subscribe(db, user_id, plan, body.payment_id, key)
        message = f"Subscription activated. Token balance set to {balance}"
        data = {
            "subscription_id": subscription_id,
            "new_token_balance": balance,
            "message": message,
        }
        return Outcome.success(PlanPurchased, data)

    outcome = await run_once(
        db,
        user_id=user_id,
        key=key,
        operation="subscribe",
        request_body=request.json,
        action=action,
    )
    if not outcome.replayed:
        tokens_credited.labels("plan").inc(plan["tokens"])
    return outcome.response()


@bp.get("/api/user-current-plan", ctx_envelope=SUCCESS_DATA)
@document(
    "A user's current plan and balance (closes a plan whose tokens are used up: plan_expired); "
    "the data's keys are also copied at the top level, as the original answered flat",
    query=[("user_id", int)],
    responses={200: CurrentPlanFlat, **ERRORS},
    tag="accounts",
)
@requires()
async def get_current_plan(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    row = await existing_user(request, user_id)
    plan = await current_plan(accounts(request).db, user_id)
    checked = adapter(CurrentPlan)
    data = checked.dump_python(
        checked.validate_python({**plan, "token_balance": row["balance"]}, strict=False),
        mode="json",
        exclude_none=True,
    )
    flat = adapter(dict)
    return json_bytes(flat.dump_json({"success": True, "data": data, **data}), 200, None)
