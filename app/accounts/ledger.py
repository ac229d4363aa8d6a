"""The token ledger: every balance change is one conditional UPDATE plus one ledger row.

Call `spend` and `credit` inside `db.transaction()`: the ledger row and the balance move
together or not at all. The spend is a single `UPDATE … WHERE balance >= :amount`, so the
database, not this process, decides who wins when many requests race for the same balance.

Rows carry the writer's clock (not the database's `now()`), like a subscription's start and
end: what a plan's tokens were spent on is a comparison between those times, and SQLite's
`CURRENT_TIMESTAMP` has only whole seconds.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database

from app.accounts.json_columns import dump_json, load_json
from app.db.sql import newest_owned
from app.db.tables.accounts import token_ledger
from app.db.tables.base import isoformat, utcnow
from app.db.tables.users import users
from app.errors import DomainError, not_found

INSUFFICIENT_TOKENS = "Insufficient tokens"


def insufficient_tokens(balance: int) -> DomainError:
    """The 402 the mini-app recognises by its text (it compares the message)."""
    return DomainError(402, INSUFFICIENT_TOKENS, balance=balance)


async def balance_of(db: Database, user_id: int) -> int | None:
    return await db.fetch_val(sa.select(users.c.balance).where(users.c.id == user_id))


async def append(
    db: Database,
    user_id: int,
    delta: int,
    balance_after: int,
    reason: str,
    details: Any = None,
    idempotency_key: str | None = None,
    response_id: str | None = None,
) -> None:
    await db.execute(
        token_ledger.insert().values(
            user_id=user_id,
            delta=delta,
            balance_after=balance_after,
            reason=reason,
            details=dump_json(details),
            idempotency_key=idempotency_key,
            response_id=response_id,
            created_at=utcnow(),
        )
    )


async def spend(
    db: Database,
    user_id: int,
    amount: int,
    details: Any,
    idempotency_key: str | None,
    reason: str = "spend",
) -> int:
    """The new balance; 402 with the current balance when it does not cover `amount`."""
    balance = await db.fetch_val(
        users.update()
        .where(users.c.id == user_id, users.c.balance >= amount)
        .values(balance=users.c.balance - amount, updated_at=utcnow())
        .returning(users.c.balance)
    )
    if balance is None:
        current = await balance_of(db, user_id)
        if current is None:
            raise not_found("user not found")
        raise insufficient_tokens(current)
    await append(db, user_id, -amount, balance, reason, details, idempotency_key)
    return balance


async def credit(
    db: Database,
    user_id: int,
    amount: int,
    reason: str,
    details: Any = None,
    idempotency_key: str | None = None,
) -> int:
    balance = await db.fetch_val(
        users.update()
        .where(users.c.id == user_id)
        .values(balance=users.c.balance + amount, updated_at=utcnow())
        .returning(users.c.balance)
    )
    if balance is None:
        raise not_found("user not found")
    await append(db, user_id, amount, balance, reason, details, idempotency_key)
    return balance


async def history(db: Database, user_id: int, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` ledger rows, newest first (a statement reads from the top)."""
    rows = await db.fetch_all(newest_owned(token_ledger, user_id, limit))
    return [
        {
            "id": row["id"],
            "delta": row["delta"],
            "balance_after": row["balance_after"],
            "reason": row["reason"],
            "details": load_json(row["details"]),
            "idempotency_key": row["idempotency_key"],
            "created_at": isoformat(row["created_at"]),
        }
        for row in rows
    ]
