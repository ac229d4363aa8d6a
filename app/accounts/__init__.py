"""Voice AI accounts (seed 000): users, token balances and their ledger, plans, history,
prompts and ephemeral OpenAI Realtime secrets."""

from __future__ import annotations

from sanic import Sanic

from app.accounts.realtime import create_client
from app.accounts.routes import BLUEPRINTS
from app.db.coalesced_reads import CoalescedReads
from app.db.tables.users import users


async def _open_openai(app: Sanic) -> None:
    app.ctx.openai_realtime = create_client(app.ctx.settings)


async def _open_user_rows(app: Sanic) -> None:
    app.ctx.user_rows = CoalescedReads(app.ctx.db, users, users.c.id)


async def _close_openai(app: Sanic) -> None:
    client = getattr(app.ctx, "openai_realtime", None)
    if client is not None:
        await client.close()


def register(app: Sanic) -> None:
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    app.register_listener(_open_openai, "before_server_start")
    app.register_listener(_open_user_rows, "before_server_start")
    app.register_listener(_close_openai, "after_server_stop")
