"""Seed 000's `/api/admin/plans`: the admin page lists, creates, edits and deletes plans.

Admin tokens only. The admin page at HEAD names a plan `plan_id`, the d0303e0 client `id`; both
are accepted. An edit changes only the fields it names (the page toggles a plan with
`{plan_id, is_active}` alone).
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.plans import create_plan, delete_plan, list_plans, update_plan
from app.accounts.routes.common import accounts
from app.accounts.schemas import PlanCreate, PlanData, PlanList, PlanUpdate
from app.auth import Role
from app.auth.guards import requires
from app.db.sql import MAX_ID
from app.errors import bad_request
from app.http.bodies import document
from app.http.envelopes import SUCCESS_DATA, Failure, Success, enveloped_body, respond_data

bp = Blueprint("accounts_admin_plans")

ERRORS = {status: Failure for status in (400, 401, 403)}
PLAN_ID_REQUIRED = "plan_id parameter is required"


@bp.get("/api/admin/plans", ctx_envelope=SUCCESS_DATA)
@document(
    "Every plan, inactive ones too, by id (admin only)",
    responses={200: Success[PlanList], 401: Failure, 403: Failure},
    tag="admin",
)
@requires(Role.ADMIN)
async def admin_list_plans(request: Request) -> HTTPResponse:
    plans = await list_plans(accounts(request).db, active_only=False)
    return respond_data(PlanList, {"plans": plans})


@bp.post("/api/admin/plans", ctx_envelope=SUCCESS_DATA)
@document(
    "Create a plan (inactive unless is_active; 409 for a taken name; admin only)",
    body=PlanCreate,
    responses={200: Success[PlanData], 409: Failure, **ERRORS},
    tag="admin",
)
@requires(Role.ADMIN)
async def admin_create_plan(request: Request) -> HTTPResponse:
    body = enveloped_body(request, PlanCreate)
    plan = await create_plan(accounts(request).db, body.model_dump())
    return respond_data(PlanData, {"plan": plan})


@bp.put("/api/admin/plans", ctx_envelope=SUCCESS_DATA)
@document(
    "Change the named fields of a plan (`plan_id` or `id`; admin only)",
    body=PlanUpdate,
    responses={200: Success[PlanData], 404: Failure, 409: Failure, **ERRORS},
    tag="admin",
)
@requires(Role.ADMIN)
async def admin_update_plan(request: Request) -> HTTPResponse:
    body = enveloped_body(request, PlanUpdate)
    plan_id = body.plan_id or body.id
    if plan_id is None:
        raise bad_request("plan_id is required")
    named = body.model_fields_set - {"plan_id", "id"}
    fields: dict[str, Any] = {
        name: value for name, value in body.model_dump(include=named).items() if value is not None
    }
    plan = await update_plan(accounts(request).db, plan_id, fields)
    return respond_data(PlanData, {"plan": plan})


def _query_plan_id(request: Request) -> int:
    raw = request.args.get("plan_id") or request.args.get("id")
    if raw in (None, ""):
        raise bad_request(PLAN_ID_REQUIRED)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not 0 < int(raw) <= MAX_ID:
        raise bad_request("plan_id must be a positive integer")
    return int(raw)


@bp.delete("/api/admin/plans", ctx_envelope=SUCCESS_DATA)
@document(
    "Delete a plan nobody subscribed to (`?plan_id=` or `?id=`; 409 otherwise; admin only)",
    query=[("plan_id", int), ("id", int)],
    responses={200: Success[None], 404: Failure, 409: Failure, **ERRORS},
    tag="admin",
)
@requires(Role.ADMIN)
async def admin_delete_plan(request: Request) -> HTTPResponse:
    await delete_plan(accounts(request).db, _query_plan_id(request))
    return respond_data(None, None, message="Plan successfully deleted")
