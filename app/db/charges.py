"""The seam through which a domain charges a user's tokens without importing the accounts
domain that keeps them (domains do not import each other).

Accounts implements it with its ledger's one charge function (`app/accounts/ledger.py`
`spend`: one conditional UPDATE of the balance and one ledger row), and registers the
implementation in `Services` under this interface; the AI worker process, which has no
`Services`, is handed the same implementation by its entry point. A charge runs on the
caller's `Database`, so inside the caller's open transaction: the work it pays for and the
charge commit together or not at all.
"""

from __future__ import annotations

from typing import Any


class TokenCharges:
    """A plain base class rather than a Protocol: `Services.get` looks services up by a class
    it can be handed, and a protocol class is not one to the type checker."""

    async def balance(self, user_id: int) -> int | None:
        """The user's tokens now; None for a user that does not exist."""
        raise NotImplementedError

    async def spend(
        self, user_id: int, amount: int, details: Any, idempotency_key: str | None
    ) -> int:
        """Charge `amount` tokens in the caller's transaction; the new balance. Raises the
        402 `Insufficient tokens` DomainError when the balance does not cover it."""
        raise NotImplementedError
