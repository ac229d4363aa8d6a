"""Accounts' side of `app/db/charges.py`: other domains' charges go through the ledger's one
`spend`, exactly like `PATCH /api/tokens`."""

from __future__ import annotations

from typing import Any

from databases import Database

from app.accounts import ledger
from app.accounts.metrics import tokens_spent
from app.db.charges import TokenCharges


class LedgerCharges(TokenCharges):
    """`TokenCharges` over the ledger; registered in `Services` under that interface."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def balance(self, user_id: int) -> int | None:
        return await ledger.balance_of(self.db, user_id)

    async def spend(
        self, user_id: int, amount: int, details: Any, idempotency_key: str | None
    ) -> int:
        balance = await ledger.spend(self.db, user_id, amount, details, idempotency_key)
        # Counted when charged: a caller's transaction that then rolls back (its work lost a
        # race) has counted tokens nobody paid, which the rare race makes negligible.
        tokens_spent.inc(amount)
        return balance
