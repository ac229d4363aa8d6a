"""Seed 000's plans (public price list) and subscriptions (granted by service/admin only).

Subscribing is what a payment webhook does after a successful charge, so it accepts an
`Idempotency-Key`: webhooks are delivered at least once.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.idempotency import Outcome, idempotency_key, run_once
from app.accounts.metrics import tokens_credited
from app.accounts.plans import list_plans, list_subscriptions, require_active_plan, subscribe
from app.accounts.routes.common import accounts, existing_user, query_user_id
from app.accounts.schemas import Plan, SubscribeRequest, Subscription, SubscriptionCreated
from app.auth import Role
from app.auth.guards import requires, resolve_user_id
from app.http.bodies import ErrorBody, document, json_body, respond_as

bp = Blueprint("accounts_plans")


@bp.get("/api/plans")
@document(
    "Every active plan (public: a price list)",
    responses={200: list[Plan]},
    public=True,
    tag="accounts",
)
async def get_plans(request: Request) -> HTTPResponse:
    return respond_as(list[Plan], await list_plans(accounts(request).db))


@bp.get("/api/user-plans")
@document(
    "A user's subscriptions, newest first",
    query=[("user_id", int)],
    responses={200: list[Subscription], 401: ErrorBody, 403: ErrorBody, 404: ErrorBody},
    tag="accounts",
)
@requires()
async def get_user_plans(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    await existing_user(request, user_id)
    return respond_as(list[Subscription], await list_subscriptions(accounts(request).db, user_id))


@bp.post("/api/user-plans")
@document(
    "Subscribe a user to a plan and credit its tokens (service and admin tokens only)",
    body=SubscribeRequest,
    responses={
        201: SubscriptionCreated,
        **{status: ErrorBody for status in (400, 401, 403, 404, 422)},
    },
    tag="accounts",
)
@requires(Role.SERVICE, Role.ADMIN)
async def create_user_plan(request: Request) -> HTTPResponse:
    body = json_body(request, SubscribeRequest)
    user_id = resolve_user_id(request, body.user_id)
    key = idempotency_key(request)
    db = accounts(request).db
    # Read before the transaction: on SQLite a transaction that reads first cannot upgrade
    # to a writer under contention, one that writes first simply waits its turn.
    plan = await require_active_plan(db, body.plan_id)

    async def action() -> Outcome:
        subscription, balance = await subscribe(db, user_id, plan, key)
        return Outcome(201, {**subscription, "balance": balance})

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
