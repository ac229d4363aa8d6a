"""Seed 000's `/api/tokens`: read, spend a Realtime response's usage (PATCH), top up (PUT), and
the ledger (`/history`, a Voxhub addition).

Spends and top-ups accept an `Idempotency-Key`: a client that lost the answer may resend the
same request and gets the first answer back, with nothing spent or credited twice.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts import ledger
from app.accounts.idempotency import Outcome, idempotency_key, run_once
from app.accounts.metrics import tokens_credited, tokens_spent
from app.accounts.routes.common import accounts, existing_user, query_int, query_user_id
from app.accounts.schemas import (
    InsufficientTokensFailure,
    LedgerEntry,
    TokenBalance,
    TokensAdded,
    TokensChecked,
    TokenSpend,
    TokensSpent,
    TokenTopUp,
)
from app.accounts.usage import Usage, metered_usage
from app.auth import Role
from app.auth.guards import requires, resolve_user_id
from app.http.bodies import ErrorBody, document, respond_as
from app.http.envelopes import SUCCESS_DATA, Failure, Success, enveloped_body, respond_data

bp = Blueprint("accounts_tokens")

KEY_ERRORS = {status: Failure for status in (400, 401, 403, 404, 409, 422)}


@bp.get("/api/tokens", ctx_envelope=SUCCESS_DATA)
@document(
    "A user's token balance",
    query=[("user_id", int)],
    responses={200: Success[TokenBalance], **{code: Failure for code in (400, 401, 403, 404)}},
    tag="accounts",
)
@requires()
async def get_balance(request: Request) -> HTTPResponse:
    user_id = query_user_id(request)
    row = await existing_user(request, user_id)
    return respond_data(TokenBalance, {"token_balance": row["balance"]})


async def _check_balance(request: Request, user_id: int, usage: Usage) -> HTTPResponse:
    """`check_only`: would the balance cover it? Nothing changes, so no key is needed."""
    row = await existing_user(request, user_id)
    if row["balance"] < usage.total_tokens:
        raise ledger.insufficient_tokens(row["balance"])
    return respond_data(TokensChecked, {"tokens_used": 0, "new_balance": row["balance"]})


@bp.patch("/api/tokens", ctx_envelope=SUCCESS_DATA)
@document(
    "Spend a Realtime response's usage.total_tokens (402 `Insufficient tokens` when the "
    "balance does not cover it; check_only changes nothing); honours Idempotency-Key",
    body=TokenSpend,
    responses={
        200: Success[TokensSpent | TokensChecked],
        402: InsufficientTokensFailure,
        **KEY_ERRORS,
    },
    tag="accounts",
)
@requires()
async def spend_tokens(request: Request) -> HTTPResponse:
    body = enveloped_body(request, TokenSpend)
    user_id = resolve_user_id(request, body.user_id)
    usage = metered_usage(body.usage)
    if body.check_only:
        return await _check_balance(request, user_id, usage)
    key = idempotency_key(request)
    db = accounts(request).db
    breakdown = usage.breakdown()
    details = {"session_id": body.session_id, "usage": breakdown}

    async def action() -> Outcome:
        balance = await ledger.spend(db, user_id, usage.total_tokens, details, key)
        data = {
            "tokens_used": usage.total_tokens,
            "new_balance": balance,
            "usage_breakdown": breakdown,
        }
        return Outcome.success(TokensSpent, data)

    outcome = await run_once(
        db, user_id=user_id, key=key, operation="spend", request_body=request.json, action=action
    )
    # A replay or a refusal moved nothing, so it counts nothing.
    if outcome.status == 200 and not outcome.replayed:
        tokens_spent.inc(usage.total_tokens)
    return outcome.response()


@bp.put("/api/tokens", ctx_envelope=SUCCESS_DATA)
@document(
    "Top up a balance by tokens_to_add (service and admin tokens only); honours Idempotency-Key",
    body=TokenTopUp,
    responses={200: Success[TokensAdded], **KEY_ERRORS},
    tag="accounts",
)
@requires(Role.SERVICE, Role.ADMIN)
async def top_up_tokens(request: Request) -> HTTPResponse:
    body = enveloped_body(request, TokenTopUp)
    user_id = resolve_user_id(request, body.user_id)
    key = idempotency_key(request)
    db = accounts(request).db
    amount = body.tokens_to_add

    async def action() -> Outcome:
        balance = await ledger.credit(db, user_id, amount, "topup", None, key)
        return Outcome.success(TokensAdded, {"tokens_added": amount, "new_balance": balance})

    outcome = await run_once(
        db, user_id=user_id, key=key, operation="topup", request_body=request.json, action=action
    )
    if not outcome.replayed:
        tokens_credited.labels("topup").inc(amount)
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
