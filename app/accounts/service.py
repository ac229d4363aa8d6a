"""What every accounts route works with, built once per worker by `register`."""

from __future__ import annotations

from databases import Database
from openai import AsyncOpenAI

from app.accounts.realtime import create_client
from app.auth.passwords import PasswordWork
from app.bus.ratelimit import RateLimiter
from app.config import Settings
from app.db.coalesced_reads import CoalescedReads
from app.db.tables.users import users


class Accounts:
    def __init__(self, settings: Settings, db: Database, limiter: RateLimiter) -> None:
        self.settings = settings
        self.db = db
        self.limiter = limiter
        # Point reads of user rows, one query for all the requests in flight.
        self.user_rows = CoalescedReads(db, users, users.c.id)
        # The mini-app names itself by Telegram id (`tma`) on every call: the same, by that id.
        self.telegram_rows = CoalescedReads(db, users, users.c.telegram_id)
        self.openai_realtime: AsyncOpenAI | None = None
        self.passwords = PasswordWork()

    async def start(self) -> None:
        """One OpenAI client (one connection pool) per worker, opened in the worker's loop."""
        self.openai_realtime = create_client(self.settings)

    async def stop(self) -> None:
        self.passwords.close()
        if self.openai_realtime is not None:
            await self.openai_realtime.close()
