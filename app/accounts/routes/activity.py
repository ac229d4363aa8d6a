"""Seed 000's `/api/user-activity`: the profile page's activity log."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.activity import encode_metadata, log_activity, recent_activity
from app.accounts.routes.common import accounts, existing_user, query_int, query_user_id
from app.accounts.schemas import ActivityCreate, ActivityList, ActivityLogged
from app.auth.guards import requires, resolve_user_id
from app.errors import bad_request
from app.http.bodies import document
from app.http.envelopes import (
    INVALID_REQUEST,
    SUCCESS_DATA,
    Failure,
    Success,
    enveloped_body,
    respond_data,
)

bp = Blueprint("accounts_activity")

ERRORS = {status: Failure for status in (400, 401, 403, 404)}


@bp.post("/api/user-activity", ctx_envelope=SUCCESS_DATA)
@document(
    "Log an action (`activity_type` is accepted for `action`); metadata at most 4 KB of JSON",
    body=ActivityCreate,
    responses={200: Success[ActivityLogged], **ERRORS},
    tag="accounts",
)
@requires()
async def post_activity(request: Request) -> HTTPResponse:
    body = enveloped_body(request, ActivityCreate)
    action = body.action or body.activity_type
    if action is None:
        raise bad_request(INVALID_REQUEST + "action is required")
    user_id = resolve_user_id(request, body.user_id)
    metadata = encode_metadata(body.metadata)
    await existing_user(request, user_id)
    activity_id = await log_activity(
        accounts(request).db, user_id, action, metadata, body.ip_address, body.user_agent
    )
    return respond_data(ActivityLogged, {"activity_id": activity_id})


@bp.get("/api/user-activity", ctx_envelope=SUCCESS_DATA)
@document(
    "The user's activity, newest first (limit: default 50, at most 200)",
    query=[("user_id", int), ("limit", int)],
    responses={200: Success[ActivityList], **ERRORS},
    tag="accounts",
)
@requires()
async def get_activity(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    limit = query_int(request, "limit", default=50, maximum=200)
    await existing_user(request, user_id)
    activities = await recent_activity(accounts(request).db, user_id, limit)
    return respond_data(ActivityList, {"activities": activities})
