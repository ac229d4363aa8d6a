"""What every accounts route starts with: the worker's pool and the user it acts on."""

from __future__ import annotations

from typing import Any

from databases import Database
from sanic import Request

from app.accounts.validation import json_object
from app.auth.guards import resolve_user_id
from app.config import Settings
from app.db.coalesced_reads import Row
from app.errors import not_found


def database(request: Request) -> Database:
    return request.app.ctx.db


def settings(request: Request) -> Settings:
    return request.app.ctx.settings


def query_user_id(request: Request) -> int:
    """`?user_id=`, checked against the caller (403 for somebody else's id)."""
    return resolve_user_id(request, request.args.get("user_id"))


def body_and_user_id(request: Request) -> tuple[dict[str, Any], int]:
    """The JSON body and its `user_id`, checked against the caller like the query one."""
    body = json_object(request)
    return body, resolve_user_id(request, body.get("user_id"))


async def existing_user(request: Request, user_id: int) -> Row:
    """The user's row, or 404. Read through the worker's coalesced reads (one query for all the
    requests in flight), so only for routes that hold no transaction of their own."""
    row = await request.app.ctx.user_rows.get(user_id)
    if row is None:
        raise not_found("user not found")
    return row
