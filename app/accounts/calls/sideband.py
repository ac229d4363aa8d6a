"""The sideband engine: hold live calls' server-side WebSockets, meter them, re-attach them.

Three times in a lease's lifetime the engine renews the leases of the calls it holds, in one
round trip and on a task of its own, so a busy poll never lets them lapse. Each poll (a sixth
of REALTIME_REATTACH_TIMEOUT) it hangs up orphans (nobody renewed them for the whole timeout:
reason `reattach_failed`) and claims calls nobody holds, up to REALTIME_MAX_CALLS. For each
call it holds, one task reads the sideband's events in order: `response.done` is charged,
transcripts go to the history. A sideband that closes is reopened once; if it cannot be, the
call is over (OpenAI closes the sideband when a call ends) and is settled with reason
`hangup`. Stopping (SIGTERM) drops the connections without hanging up and marks the calls
free at once: another worker takes them.

With `attach=False` the engine only sweeps orphans: API workers of a cluster run it, so a call
is hung up even when every sideband worker is gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import suppress
from typing import Any

import openai
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from app.accounts.calls import ledger as call_ledger
from app.accounts.calls.metrics import live_calls, sideband_attaches, sideband_events
from app.accounts.calls.service import RealtimeCalls
from app.accounts.calls.upstream import sideband
from app.accounts.usage import metered_usage
from app.errors import DomainError

log = logging.getLogger("voxhub.realtime")

# What a lost sideband looks like, from the handshake to a dropped link.
SIDEBAND_ERRORS = (ConnectionClosed, InvalidHandshake, OSError, TimeoutError, openai.OpenAIError)
USER_TRANSCRIPT = "conversation.item.input_audio_transcription.completed"
ASSISTANT_TRANSCRIPTS = ("response.output_audio_transcript.done", "response.audio_transcript.done")


class SidebandEngine:
    def __init__(self, calls: RealtimeCalls, *, attach: bool = True) -> None:
        self.calls = calls
        self.settings = calls.settings
        self.leases = calls.leases
        self.attach = attach
        self.held: dict[int, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    @property
    def poll_interval(self) -> float:
        return self.leases.ttl / 2

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(), name="voxhub-realtime-sideband")]
        if self.attach:
            self._tasks.append(asyncio.create_task(self._renew(), name="voxhub-realtime-leases"))

    async def stop(self) -> None:
        """Hand every held call over: no hang-up, the leases freed for the next worker."""
        self._stopping.set()
        for loop_task in self._tasks:
            loop_task.cancel()
            with suppress(asyncio.CancelledError):
                await loop_task
        tasks = dict(self.held)
        for task in tasks.values():
            task.cancel()
        for call_id, task in tasks.items():
            with suppress(asyncio.CancelledError, Exception):
                await task
            with suppress(Exception):
                await self.leases.release(call_id, hand_over=True)

    # -- the poll --------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.poll()
            except Exception as exc:  # Redis or the database away: the next poll tries again
                log.warning("realtime sideband poll failed: %s", exc)
            await asyncio.sleep(self.poll_interval)

    async def _renew(self) -> None:
        while not self._stopping.is_set():
            try:
                for call_id in await self.leases.renew(list(self.held)):
                    log.warning("realtime call %s: lease lost, another worker holds it", call_id)
                    self._drop(call_id)
            except Exception as exc:
                log.warning("realtime lease renewal failed: %s", exc)
            await asyncio.sleep(self.leases.ttl / 3)

    async def poll(self) -> None:
        limit = self.settings.realtime_max_calls
        timeout = self.settings.realtime_reattach_timeout
        for call_id in await self.leases.orphans(timeout, limit):
            if call_id not in self.held and await self.leases.acquire(call_id):
                log.warning("realtime call %s: no sideband for %.0fs, hanging up", call_id, timeout)
                await self.calls.end(call_id, "reattach_failed")
        if not self.attach:
            return
        for call_id in await self.leases.claimable(limit):
            if len(self.held) >= limit:
                break
            if call_id not in self.held and await self.leases.acquire(call_id):
                task = asyncio.create_task(self._hold(call_id), name=f"voxhub-realtime-{call_id}")
                self.held[call_id] = task
                live_calls.inc()

    def _drop(self, call_id: int) -> None:
        task = self.held.get(call_id)
        if task is not None:
            task.cancel()

    # -- one call --------------------------------------------------------------------------

    async def _hold(self, call_id: int) -> None:
        try:
            await self._meter(call_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("realtime call %s: sideband failed", call_id)
        finally:
            self.held.pop(call_id, None)
            live_calls.dec()
            if not self._stopping.is_set():
                with suppress(Exception):
                    await self.leases.release(call_id, hand_over=False)

    async def _meter(self, call_id: int) -> None:
        db = self.calls.db
        row = await call_ledger.find(db, call_id)
        if row is None or row["state"] not in call_ledger.LIVE_STATES:
            await self.leases.forget(call_id)
            return
        attaches = await call_ledger.mark_attached(db, call_id, self.leases.worker_id)
        kind = "attach" if attaches == 1 else "takeover"
        connected = False
        for _ in range(2):  # the first connection, and one reconnect after a lost link
            try:
                async with sideband(self.calls.openai(), row["openai_call_id"]) as connection:
                    connected = True
                    sideband_attaches.labels(kind).inc()
                    log.info("realtime call %s: sideband attached (%s)", call_id, kind)
                    while True:
                        await self._handle(call_id, row["user_id"], await connection.recv_bytes())
            except SIDEBAND_ERRORS as exc:
                log.info("realtime call %s: sideband lost: %s", call_id, exc)
            current = await call_ledger.find(db, call_id)
            if current is None or current["state"] not in call_ledger.LIVE_STATES:
                return  # ended elsewhere (a DELETE, the balance)
            if not connected:
                return  # never attached: the lease lapses, the next poll (or the sweep) retries
            kind = "reconnect"
        await self.calls.end(call_id, "hangup")

    async def _handle(self, call_id: int, user_id: int, raw: bytes) -> None:
        sideband_events.inc()
        try:
            event: Any = json.loads(raw)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        if kind == "response.done":
            await self._charge(call_id, event.get("response"))
        elif kind == USER_TRANSCRIPT:
            await self.calls.transcript(call_id, user_id, "user", event.get("transcript"))
        elif kind in ASSISTANT_TRANSCRIPTS:
            await self.calls.transcript(call_id, user_id, "assistant", event.get("transcript"))
        elif kind == "error":
            log.warning("realtime call %s: OpenAI error event: %s", call_id, event.get("error"))

    async def _charge(self, call_id: int, response: Any) -> None:
        if not isinstance(response, dict) or not isinstance(response.get("id"), str):
            return
        if response.get("usage") is None:
            return  # nothing was generated (a cancelled response reports no usage)
        try:
            usage = metered_usage(response["usage"])
        except DomainError as exc:
            log.error("realtime call %s: unreadable usage %s: %s", call_id, response, exc.message)
            return
        await self.calls.charge(call_id, response["id"][:128], usage)
