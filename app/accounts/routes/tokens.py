"""Seed 000's `/api/tokens`: read, spend (PATCH) and top up (PUT) a balance, and its ledger.

Spends and top-ups accept an `Idempotency-Key`: a client that lost the answer may resend the
same request and gets the first answer back, with nothing spent or credited twice.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts import ledger
from app.accounts.idempotency import Outcome, idempotency_key, run_once
from app.accounts.json_columns import dump_json
from app.accounts.metrics import tokens_credited, tokens_spent
from app.accounts.routes.common import accounts, existing_user, query_int, query_user_id
from app.accounts.schemas import (
    Balance,
    BalanceChange,
    InsufficientTokens,
    LedgerEntry,
    TokenBalance,
)
from app.auth import Role
from app.auth.guards import requires, resolve_user_id
from app.errors import bad_request
from app.http.bodies import ErrorBody, document, json_body, respond_as
from app.http.envelopes import SUCCESS_DATA, Failure, Success, respond_data

bp = Blueprint("accounts_tokens")

MAX_DETAILS_BYTES = 8192
KEY_ERRORS = {status: ErrorBody for status in (400, 401, 403, 404, 422)}


@bp.get("/api/tokens", ctx_envelope=SUCCESS_DATA)
@document(
    "A user's token balance",
    query=[("user_id", int)],
    responses={200: Success[TokenBalance], 401: Failure, 403: Failure, 404: Failure},
    tag="accounts",
)
@requires()
async def get_balance(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    row = await existing_user(request, user_id)
    return respond_data(TokenBalance, {"token_balance": row["balance"]})


async def _change_balance(request: Request, operation: str) -> tuple[Outcome, int]:
    """Spend or top up: the same body, key handling and answer; only the ledger call differs."""
    change = json_body(request, BalanceChange)
    user_id = resolve_user_id(request, change.user_id)
    if len(dump_json(change.details) or "") > MAX_DETAILS_BYTES:
        raise bad_request(f"details must be at most {MAX_DETAILS_BYTES} bytes of JSON")
    key = idempotency_key(request)
    db = accounts(request).db

    async def action() -> Outcome:
        if operation == "spend":
            balance = await ledger.spend(db, user_id, change.amount, change.details, key)
        else:
            balance = await ledger.credit(
                db, user_id, change.amount, operation, change.details, key
            )
        return Outcome(200, {"user_id": user_id, "balance": balance})

    outcome = await run_once(
        db,
        user_id=user_id,
        key=key,
        operation=operation,
        request_body=request.json,
        action=action,
    )
    # A replay or a refusal moved nothing, so it counts nothing.
    return outcome, change.amount if outcome.status == 200 and not outcome.replayed else 0


@bp.patch("/api/tokens")
@document(
    "Spend tokens (402 when the balance does not cover it); honours Idempotency-Key",
    body=BalanceChange,
    responses={200: Balance, 402: InsufficientTokens, **KEY_ERRORS},
    tag="accounts",
)
@requires()
async def spend_tokens(request: Request) -> HTTPResponse:
    outcome, moved = await _change_balance(request, "spend")
    tokens_spent.inc(moved)
    return outcome.response()


@bp.put("/api/tokens")
@document(
    "Top up a balance (service and admin tokens only); honours Idempotency-Key",
    body=BalanceChange,
    responses={200: Balance, **KEY_ERRORS},
    tag="accounts",
)
@requires(Role.SERVICE, Role.ADMIN)
async def top_up_tokens(request: Request) -> HTTPResponse:
    outcome, moved = await _change_balance(request, "topup")
    tokens_credited.labels("topup").inc(moved)
    return outcome.response()


@bp.get("/api/tokens/history")
@document(
    "A user's ledger rows, newest first (limit: default 50, at most 500)",
    query=[("user_id", int), ("limit", int)],
    responses={
        200: list[LedgerEntry],
        400: ErrorBody,
        401: ErrorBody,
        403: ErrorBody,
        404: ErrorBody,
    },
    tag="accounts",
)
@requires()
async def token_history(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    limit = query_int(request, "limit", default=50, maximum=500)
    await existing_user(request, user_id)
    return respond_as(list[LedgerEntry], await ledger.history(accounts(request).db, user_id, limit))
