"""Seed 000's `/api/tokens`: read, spend (PATCH) and top up (PUT) a balance, and its ledger.

Spends and top-ups accept an `Idempotency-Key`: a client that lost the answer may resend the
same request and gets the first answer back, with nothing spent or credited twice.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from app.accounts import ledger
from app.accounts.docs import ERROR, documented
from app.accounts.idempotency import Outcome, idempotency_key, run_once
from app.accounts.json_columns import dump_json
from app.accounts.metrics import tokens_credited, tokens_spent
from app.accounts.routes.common import body_and_user_id, database, existing_user, query_user_id
from app.accounts.validation import positive_int, query_int
from app.auth import Role
from app.auth.guards import requires
from app.errors import bad_request

bp = Blueprint("accounts_tokens")

BALANCE = {"user_id": int, "balance": int}
INSUFFICIENT = {"error": str, "balance": int}
MAX_DETAILS_BYTES = 8192
KEY_ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 422: ERROR}


def _details(body: dict[str, Any]) -> Any:
    details = body.get("details")
    if len(dump_json(details) or "") > MAX_DETAILS_BYTES:
        raise bad_request(f"details must be at most {MAX_DETAILS_BYTES} bytes of JSON")
    return details


@bp.get("/api/tokens")
@documented(
    "A user's token balance",
    query=[("user_id", int)],
    responses={200: BALANCE, 401: ERROR, 403: ERROR, 404: ERROR},
)
@requires()
async def get_balance(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    row = await existing_user(request, user_id)
    return json({"user_id": user_id, "balance": row["balance"]})


async def _change_balance(request: Request, operation: str) -> tuple[Outcome, int]:
    """Spend or top up: the same body, key handling and answer; only the ledger call differs."""
    body, user_id = body_and_user_id(request)
    amount = positive_int(body.get("amount"), "amount")
    details = _details(body)
    key = idempotency_key(request)
    db = database(request)

    async def action() -> Outcome:
        if operation == "spend":
            balance = await ledger.spend(db, user_id, amount, details, key)
        else:
            balance = await ledger.credit(db, user_id, amount, operation, details, key)
        return Outcome(200, {"user_id": user_id, "balance": balance})

    outcome = await run_once(
        db, user_id=user_id, key=key, operation=operation, request_body=body, action=action
    )
    # A replay or a refusal moved nothing, so it counts nothing.
    return outcome, amount if outcome.status == 200 and not outcome.replayed else 0


@bp.patch("/api/tokens")
@documented(
    "Spend tokens (402 when the balance does not cover it); honours Idempotency-Key",
    body={"user_id": int, "amount": int, "details": dict},
    responses={200: BALANCE, 402: INSUFFICIENT, **KEY_ERRORS},
)
@requires()
async def spend_tokens(request: Request) -> HTTPResponse:
    outcome, moved = await _change_balance(request, "spend")
    tokens_spent.inc(moved)
    return outcome.response()


@bp.put("/api/tokens")
@documented(
    "Top up a balance (service and admin tokens only); honours Idempotency-Key",
    body={"user_id": int, "amount": int, "details": dict},
    responses={200: BALANCE, **KEY_ERRORS},
)
@requires(Role.SERVICE, Role.ADMIN)
async def top_up_tokens(request: Request) -> HTTPResponse:
    outcome, moved = await _change_balance(request, "topup")
    tokens_credited.labels("topup").inc(moved)
    return outcome.response()


@bp.get("/api/tokens/history")
@documented(
    "A user's ledger rows, newest first (limit: default 50, at most 500)",
    query=[("user_id", int), ("limit", int)],
    responses={200: [dict], 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
)
@requires()
async def token_history(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    limit = query_int(request, "limit", default=50, maximum=500)
    db = database(request)
    await existing_user(request, user_id)
    return json(await ledger.history(db, user_id, limit))
