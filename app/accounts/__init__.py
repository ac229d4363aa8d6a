"""Voice AI accounts (seed 000): sign-in, users, token balances and their ledger, plans,
history, prompts and ephemeral OpenAI Realtime secrets."""

from __future__ import annotations

from sanic import Sanic

from app.accounts import calls
from app.accounts.charges import LedgerCharges
from app.accounts.routes import BLUEPRINTS
from app.accounts.service import Accounts
from app.accounts.telegram_identity import resolve_telegram_identity
from app.db.charges import TokenCharges
from app.services import Services

__all__ = ["Accounts", "register"]


def register(app: Sanic, services: Services) -> None:
    accounts = services.add(Accounts(services.settings, services.db, services.limiter))
    # Other domains charge tokens through this (the messenger's AI work), not by importing us.
    services.add(LedgerCharges(services.db), TokenCharges)
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    # Right after the authenticator (priority 90), before any handler reads the identity.
    app.register_middleware(resolve_telegram_identity, "request", priority=89)

    async def start(_: Sanic) -> None:
        await accounts.start()

    async def stop(_: Sanic) -> None:
        await accounts.stop()

    app.register_listener(start, "before_server_start")
    app.register_listener(stop, "after_server_stop")
    calls.register(app, services, accounts)
