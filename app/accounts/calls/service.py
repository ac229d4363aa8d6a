"""Metered Realtime calls: start one on a hold, read it, end it; shared by API and sideband workers.

Starting takes the hold before OpenAI is asked (so two calls cannot both spend the same
tokens), then creates the call; if OpenAI refuses or does not answer, the hold returns at once
and the call is `failed`: a hold and its release, never a charge without a call. Ending is one
path for every reason (a caller's DELETE, the balance, an orphaned sideband, OpenAI closing the
call): hang up at OpenAI, release what is still held, tell the caller's sockets.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from databases import Database
from openai import AsyncOpenAI

from app.accounts.calls import ledger as call_ledger
from app.accounts.calls.leases import CallLeases
from app.accounts.calls.metrics import hangups, holds_refused, tokens_charged
from app.accounts.calls.upstream import create_call, hang_up, session_config
from app.accounts.conversation import add_message
from app.accounts.usage import Usage
from app.config import Settings
from app.errors import DomainError

log = logging.getLogger("voxhub.realtime")

Publish = Callable[[int, dict[str, Any]], Awaitable[None]]
"""`publish(user_id, frame)`: a frame to every socket of that user, on any worker."""

# A transcript longer than this is cut before it is stored (history rows stay bounded).
MAX_TRANSCRIPT = 8000


def lease_ttl(settings: Settings) -> float:
    """A lease lives a third of the re-attach budget: a dead holder's calls are claimable
    well within it, with time left for the new holder to connect."""
    return settings.realtime_reattach_timeout / 3


class RealtimeCalls:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        leases: CallLeases,
        client: AsyncOpenAI | None,
        publish: Publish,
    ) -> None:
        self.settings = settings
        self.db = db
        self.leases = leases
        self.client = client
        self.publish = publish

    def openai(self) -> AsyncOpenAI:
        if self.client is None:
            raise DomainError(503, "OpenAI is not configured")
        return self.client

    async def start(
        self, user_id: int, sdp: str, model: str, voice: str, instructions: str
    ) -> tuple[int, str]:
        """(call id, SDP answer) of a new live call holding REALTIME_HOLD_TOKENS."""
        client = self.openai()
        try:
            call_id = await call_ledger.open_call(
                self.db, user_id, self.settings.realtime_hold_tokens, model, voice
            )
        except DomainError as exc:
            if exc.status == 402:
                holds_refused.inc()
            raise
        try:
            openai_call_id, answer = await create_call(
                client, sdp, session_config(model, voice, instructions)
            )
        except BaseException:
            await call_ledger.close_call(self.db, call_id, "error", state="failed")
            raise
        try:
            await call_ledger.mark_live(self.db, call_id, openai_call_id)
            await self.leases.announce(call_id)
        except BaseException:
            # A call no sideband worker will ever hear of would run unmetered: hang it up.
            await hang_up(client, openai_call_id)
            await call_ledger.close_call(self.db, call_id, "error", state="failed")
            raise
        return call_id, answer

    async def end(self, call_id: int, reason: str) -> bool:
        """Hang up and settle the call once; False if it had ended already."""
        row = await call_ledger.find(self.db, call_id)
        if row is None or row["state"] not in call_ledger.LIVE_STATES:
            await self.leases.forget(call_id)
            return False
        if row["openai_call_id"] and self.client is not None:
            try:
                await hang_up(self.client, row["openai_call_id"])
            except DomainError as exc:
                # Settled anyway: the hold must not stay taken because OpenAI is unreachable.
                log.warning("realtime call %s: hang-up failed: %s", call_id, exc.message)
        ended = await call_ledger.close_call(self.db, call_id, reason)
        await self.leases.forget(call_id)
        if ended is None:
            return False
        hangups.labels(reason).inc()
        await self.publish(
            ended.user_id,
            {
                "type": "realtime.ended",
                "payload": {
                    "call_id": call_id,
                    "reason": reason,
                    "released": ended.released,
                    "balance": ended.balance,
                },
            },
        )
        return True

    async def charge(self, call_id: int, response_id: str, usage: Usage) -> None:
        """Charge one `response.done`; hang up with reason `balance` when no hold is left."""
        settings = self.settings
        charged = await call_ledger.charge(
            self.db,
            call_id,
            response_id,
            usage,
            settings.realtime_hold_tokens,
            settings.realtime_low_water_tokens,
        )
        if charged is None:
            return
        for kind, tokens in charged.by_type.items():
            if kind != "total" and tokens:
                tokens_charged.labels(kind).inc(tokens)
        row = await call_ledger.find(self.db, call_id)
        if row is not None:
            await self.publish(
                row["user_id"], {"type": "realtime.usage", "payload": charged.event(call_id)}
            )
        if charged.out_of_balance:
            holds_refused.inc()
            await self.end(call_id, "balance")

    async def transcript(self, call_id: int, user_id: int, speaker: str, text: Any) -> None:
        """One side's words, as a conversation message of this call (session_id = call id)."""
        if not isinstance(text, str) or not text.strip():
            return
        await add_message(self.db, user_id, speaker, text.strip()[:MAX_TRANSCRIPT], call_id, 0)
