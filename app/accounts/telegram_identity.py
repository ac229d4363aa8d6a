"""`Authorization: tma <initData>`: the account a verified Telegram user acts as.

The real mini-app sends its raw `Telegram.WebApp.initData` on every call instead of signing in
first. app.auth has already checked the signature and its age; this middleware finds the user
by Telegram id, or creates it on first sight exactly as `POST /api/auth/telegram` would
(concurrent first requests meet on the unique Telegram id and yield one account). Lookups go
through the worker's coalesced reads: one query for all the calls in flight.
"""

from __future__ import annotations

from sanic import Request

from app.accounts.service import Accounts
from app.accounts.users import telegram_profile, upsert_telegram_user
from app.auth import Identity, Role
from app.auth.guards import grant, telegram_user
from app.services import services_of


async def resolve_telegram_identity(request: Request) -> None:
    user = telegram_user(request)
    if user is None:
        return
    service = services_of(request.app).get(Accounts)
    known = await service.telegram_rows.get(user["id"])
    if known is not None:
        user_id = known["id"]
    else:
        created = await upsert_telegram_user(
            service.db, telegram_profile(user), service.settings.default_token_balance
        )
        user_id = created["id"]
    grant(request, Identity(sub=str(user_id), role=Role.USER))
