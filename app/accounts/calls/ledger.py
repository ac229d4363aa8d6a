"""A metered call's money: holds from the balance, charges against them, the release at the end.

The arithmetic, in tokens (H = REALTIME_HOLD_TOKENS, L = REALTIME_LOW_WATER_TOKENS):
- start: the balance gives H to the call (`realtime_hold`, delta -H) or the call is refused.
- each `response.done`: its cost (`metered_usage(...).total_tokens`, exactly as
  `PATCH /api/tokens`) comes out of `held`; the ledger row (`realtime_charge`) names the
  response, unique, and its delta is 0 while the hold covers it. A cost above what is held
  takes the rest from the balance (never below zero; what even that cannot cover is recorded
  as `uncovered`, never as debt).
- below L: another hold of min(H, balance) (`realtime_hold`); if `held` is still below L the
  call is to be hung up with reason `balance`.
- end: what is still held returns (`realtime_release`, delta +held).
So the balance moves by -(sum of charges) over the call, and every step is a ledger row written
in the balance's own transaction. Locks are taken call row first, then user row, everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.accounts import ledger
from app.accounts.usage import Usage
from app.db.errors import is_unique_violation
from app.db.tables.accounts import realtime_calls, token_ledger
from app.db.tables.base import isoformat, utcnow
from app.db.tables.users import users
from app.errors import not_found

LIVE_STATES = ("starting", "live")
USAGE_KEYS = (
    "input_text",
    "input_audio",
    "input_image",
    "input_cached",
    "output_text",
    "output_audio",
    "total",
)


def usage_counts(usage: Usage) -> dict[str, int]:
    """A response's tokens by type, the shape a call's running totals keep."""
    return {
        "input_text": usage.input.text,
        "input_audio": usage.input.audio,
        "input_image": usage.input.image,
        "input_cached": usage.input.cached,
        "output_text": usage.output.text,
        "output_audio": usage.output.audio,
        "total": usage.total_tokens,
    }


@dataclass(frozen=True, slots=True)
class Charge:
    """What one response cost and what it left: the caller's `realtime.usage` event."""

    response_id: str
    tokens: int
    by_type: dict[str, int]
    balance: int
    held: int
    uncovered: int
    out_of_balance: bool

    def event(self, call_id: int) -> dict[str, Any]:
        return {
            "call_id": call_id,
            "response_id": self.response_id,
            "tokens": self.tokens,
            "usage": self.by_type,
            "balance": self.balance,
            "held": self.held,
        }


@dataclass(frozen=True, slots=True)
class Ended:
    user_id: int
    call_id: int
    reason: str
    released: int
    balance: int


def serialize(row: Record) -> dict[str, Any]:
    return {
        "call_id": row["id"],
        "openai_call_id": row["openai_call_id"],
        "user_id": row["user_id"],
        "state": row["state"],
        "end_reason": row["end_reason"],
        "model": row["model"],
        "voice": row["voice"],
        "held": row["held"],
        "charged": row["charged"],
        "responses": row["responses"],
        "worker": row["worker"],
        "usage": {key: 0 for key in USAGE_KEYS} | json.loads(row["usage"] or "{}"),
        "started_at": isoformat(row["started_at"]) if row["started_at"] else None,
        "ended_at": isoformat(row["ended_at"]) if row["ended_at"] else None,
        "created_at": isoformat(row["created_at"]),
    }


async def _lock_call(db: Database, *where: sa.ColumnElement[bool]) -> Record | None:
    """The call row, locked for this transaction by a write that changes nothing: a row lock
    on PostgreSQL, and on SQLite the database's write lock taken first (a transaction that
    reads before it writes can fail to upgrade its lock when another one writes)."""
    return await db.fetch_one(
        realtime_calls.update()
        .where(*where)
        .values(held=realtime_calls.c.held)
        .returning(*realtime_calls.c)
    )


async def _take_from_balance(db: Database, user_id: int, amount: int, minimum: int) -> int:
    """Up to `amount` tokens off the balance, but only if at least `minimum` are there;
    the tokens taken (0 when fewer than `minimum`)."""
    balance = await db.fetch_val(
        sa.select(users.c.balance).where(users.c.id == user_id).with_for_update()
    )
    if balance is None:
        raise not_found("user not found")
    taken = min(amount, balance)
    if taken < minimum or taken <= 0:
        return 0
    await db.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(balance=users.c.balance - taken, updated_at=utcnow())
    )
    return taken


async def open_call(db: Database, user_id: int, hold: int, model: str, voice: str) -> int:
    """A `starting` call holding `hold` tokens (402 `Insufficient tokens` when the balance
    cannot give them all, and then no call row either); its row id."""
    async with db.transaction():
        row_id = await db.fetch_val(
            realtime_calls.insert()
            .values(
                user_id=user_id, model=model, voice=voice, state="starting", held=hold, usage="{}"
            )
            .returning(realtime_calls.c.id)
        )
        await ledger.spend(db, user_id, hold, {"call_id": row_id}, None, reason="realtime_hold")
    return int(row_id)


async def mark_live(db: Database, call_id: int, openai_call_id: str) -> None:
    await db.execute(
        realtime_calls.update()
        .where(realtime_calls.c.id == call_id)
        .values(openai_call_id=openai_call_id, state="live", started_at=utcnow())
    )


async def find(db: Database, call_id: int) -> Record | None:
    return await db.fetch_one(sa.select(realtime_calls).where(realtime_calls.c.id == call_id))


async def mark_attached(db: Database, call_id: int, worker: str) -> int:
    """Record the sideband's new holder; how many times the call has been attached now."""
    attaches = await db.fetch_val(
        realtime_calls.update()
        .where(realtime_calls.c.id == call_id)
        .values(worker=worker, attaches=realtime_calls.c.attaches + 1)
        .returning(realtime_calls.c.attaches)
    )
    return int(attaches or 0)


async def already_charged(db: Database, response_id: str) -> bool:
    found = await db.fetch_val(
        sa.select(token_ledger.c.id).where(token_ledger.c.response_id == response_id)
    )
    return found is not None


async def charge(
    db: Database,
    call_id: int,
    response_id: str,
    usage: Usage,
    hold: int,
    low_water: int,
) -> Charge | None:
    """Charge one response against the call's hold; None if it was charged before (by this or
    any worker) or the call is unknown."""
    if await already_charged(db, response_id):
        return None
    try:
        async with db.transaction():
            return await _charge(db, call_id, response_id, usage, hold, low_water)
    except Exception as exc:
        if is_unique_violation(exc):
            return None  # another worker charged it between the check and the insert
        raise


async def _charge(
    db: Database, call_id: int, response_id: str, usage: Usage, hold: int, low_water: int
) -> Charge | None:
    call = await _lock_call(db, realtime_calls.c.id == call_id)
    if call is None:
        return None
    user_id, cost, held = call["user_id"], usage.total_tokens, call["held"]
    from_hold = min(cost, held)
    from_balance = await _take_from_balance(db, user_id, cost - from_hold, 1)
    uncovered = cost - from_hold - from_balance
    held -= from_hold
    balance = int(await ledger.balance_of(db, user_id) or 0)
    by_type = usage_counts(usage)
    details = {
        "call_id": call_id,
        "response_id": response_id,
        "tokens_used": cost,
        "from_hold": from_hold,
        "uncovered": uncovered,
        "usage": usage.breakdown(),
    }
    await ledger.append(
        db, user_id, -from_balance, balance, "realtime_charge", details, response_id=response_id
    )
    live = call["state"] in LIVE_STATES
    out_of_balance = False
    if live and held < low_water:
        extra = await _take_from_balance(db, user_id, hold, 1)
        if extra:
            balance -= extra
            held += extra
            await ledger.append(db, user_id, -extra, balance, "realtime_hold", {"call_id": call_id})
        out_of_balance = held < low_water
    totals = json.loads(call["usage"] or "{}")
    totals = {key: int(totals.get(key, 0)) + by_type[key] for key in USAGE_KEYS}
    await db.execute(
        realtime_calls.update()
        .where(realtime_calls.c.id == call["id"])
        .values(
            held=held if live else 0,
            charged=realtime_calls.c.charged + cost,
            responses=realtime_calls.c.responses + 1,
            usage=json.dumps(totals),
        )
    )
    if not live and held:
        # The call ended before this response was charged: what it held returns at once.
        balance = await ledger.credit(db, user_id, held, "realtime_release", {"call_id": call_id})
        held = 0
    return Charge(response_id, cost, by_type, balance, held, uncovered, out_of_balance)


async def close_call(db: Database, call_id: int, reason: str, state: str = "ended") -> Ended | None:
    """End the call once (None if it had ended already) and return what it still held."""
    async with db.transaction():
        call = await _lock_call(
            db, realtime_calls.c.id == call_id, realtime_calls.c.state.in_(LIVE_STATES)
        )
        if call is None:
            return None
        await db.execute(
            realtime_calls.update()
            .where(realtime_calls.c.id == call_id)
            .values(state=state, end_reason=reason, ended_at=utcnow(), held=0)
        )
        held = int(call["held"])
        if held > 0:
            details = {"call_id": call_id}
            balance = await ledger.credit(db, call["user_id"], held, "realtime_release", details)
        else:
            balance = int(await ledger.balance_of(db, call["user_id"]) or 0)
    return Ended(call["user_id"], call_id, reason, held, balance)
