"""The AI job loop: claim, answer, store, deliver, and only then acknowledge.

Every job is answered at most once: the answer's key is unique in the database and is checked
before the model is called, so a job reclaimed from a dead worker (or retried after its result
was stored but before its ack) costs no second answer. A failed attempt leaves the job pending;
it is retried once it has been idle for AI_CLAIM_IDLE (the queue's backoff) by whichever worker
gets there first, and after AI_MAX_ATTEMPTS deliveries it goes to the dead-letter stream.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from contextlib import suppress
from functools import partial

from redis.exceptions import RedisError

from app.bus.streams import StreamEntry, StreamQueue
from app.messenger import storage
from app.messenger.ai.client import AiClient, is_permanent
from app.messenger.ai.jobs import ADVICE, AiJob
from app.messenger.ai.prompts import build_prompt
from app.messenger.metrics import ai_dead_letters, ai_jobs, ai_latency, ai_stream_lag
from app.messenger.schemas import MAX_TEXT, Advice, Message
from app.messenger.service import Messenger

log = logging.getLogger("voxhub.ai")

READ_BLOCK_MS = 1000
STOP_GRACE = 10.0
OUTBOX_INTERVAL = 2.0
# A job parked this recently is still being queued by the API worker that stored it.
OUTBOX_GRACE = 5.0


def default_consumer_name() -> str:
    """This process's name in the consumer group, unless `--consumer` gives one."""
    return f"{socket.gethostname()}-{os.getpid()}"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class AiWorker:
    """One process's AI engine: a consumer in the jobs' group, answering up to `concurrency`
    jobs at once, and the sweep that moves parked jobs from the database onto the stream."""

    def __init__(
        self, messenger: Messenger, ai: AiClient, *, consumer: str, concurrency: int = 4
    ) -> None:
        self.messenger = messenger
        self.ai = ai
        self.settings = messenger.settings
        self.consumer = consumer
        self.concurrency = concurrency
        self.queue: StreamQueue = messenger.jobs
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    @classmethod
    def for_messenger(
        cls, messenger: Messenger, *, consumer: str | None = None, concurrency: int = 4
    ) -> AiWorker:
        """The engine with a model client from the messenger's settings."""
        return cls(
            messenger,
            AiClient(messenger.settings),
            consumer=consumer or default_consumer_name(),
            concurrency=concurrency,
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._consume(), name="voxhub-ai-consume"),
            asyncio.create_task(self._renew_leases(), name="voxhub-ai-leases"),
            asyncio.create_task(self._drain_outbox(), name="voxhub-ai-outbox"),
        ]
        log.info(
            "AI worker %s started (%s API, model %s)", self.consumer, self.ai.api, self.ai.model
        )

    async def stop(self) -> None:
        """Stop taking jobs, let running ones finish for a while; the rest stay pending."""
        self._stopping.set()
        if self._inflight:
            await asyncio.wait(self._inflight.values(), timeout=STOP_GRACE)
        for task in [*self._tasks, *self._inflight.values()]:
            task.cancel()
        for task in [*self._tasks, *self._inflight.values()]:
            with suppress(asyncio.CancelledError, Exception):
                await task
        await self.ai.close()

    # -- the loop --------------------------------------------------------------------------

    async def _consume(self) -> None:
        backoff = 0.1
        group_ready = False
        while not self._stopping.is_set():
            try:
                if not group_ready:
                    await self.queue.ensure_group()
                    group_ready = True
                await self._take_jobs()
                ai_stream_lag.set(await self.queue.backlog())
                backoff = 0.1
            except (RedisError, OSError) as exc:
                log.warning("AI job stream unavailable: %s", exc)
                # A restarted Redis may have lost the group with the stream: make it again.
                group_ready = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _drain_outbox(self) -> None:
        """Jobs parked while the stream was down go onto it once it answers again."""
        while not self._stopping.is_set():
            try:
                moved = await self.messenger.requeue_parked_jobs(OUTBOX_GRACE)
                if moved:
                    log.info("moved %d parked AI jobs onto the stream", moved)
            except Exception as exc:  # Redis or the database still down: try again later
                log.warning("AI job outbox not drained yet: %s", exc)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), OUTBOX_INTERVAL)

    async def _take_jobs(self) -> None:
        free = self.concurrency - len(self._inflight)
        if free <= 0:
            await asyncio.wait(self._inflight.values(), return_when=asyncio.FIRST_COMPLETED)
            return
        entries = await self.queue.claim_stale(self.consumer, self.settings.ai_claim_idle, free)
        if not entries:
            entries = await self.queue.read_new(self.consumer, free, READ_BLOCK_MS)
        for entry in entries:
            if entry.id not in self._inflight:
                task = asyncio.create_task(self._handle(entry))
                self._inflight[entry.id] = task
                task.add_done_callback(partial(self._done, entry.id))

    def _done(self, entry_id: str, _task: asyncio.Task[None]) -> None:
        self._inflight.pop(entry_id)

    async def _renew_leases(self) -> None:
        """Keep jobs this worker is still answering from looking abandoned to the others."""
        interval = max(0.1, self.settings.ai_claim_idle / 3)
        while not self._stopping.is_set():
            await asyncio.sleep(interval)
            try:
                await self.queue.renew(self.consumer, list(self._inflight))
            except (RedisError, OSError) as exc:
                log.warning("AI job lease renewal failed: %s", exc)

    # -- one job ---------------------------------------------------------------------------

    async def _handle(self, entry: StreamEntry) -> None:
        try:
            job = AiJob.from_fields(entry.fields)
        except ValueError as exc:
            await self._dead_letter(entry, "unknown", str(exc))
            return
        if entry.deliveries > self.settings.ai_max_attempts:
            # Handed out more often than allowed, yet never failed here: its workers died.
            await self._dead_letter(
                entry, job.kind, f"abandoned after {entry.deliveries} deliveries"
            )
            return
        try:
            outcome = await self.answer(job)
        except Exception as exc:
            ai_jobs.labels(job.kind, "failed").inc()
            if is_permanent(exc) or entry.deliveries >= self.settings.ai_max_attempts:
                await self._dead_letter(entry, job.kind, _describe(exc))
            else:
                log.warning(
                    "AI job %s (attempt %d) failed, will retry: %s",
                    entry.id,
                    entry.deliveries,
                    _describe(exc),
                )
            return
        ai_jobs.labels(job.kind, outcome).inc()
        try:
            await self.queue.ack(entry.id)
        except (RedisError, OSError) as exc:
            # Stored already: whoever reclaims it finds the answer and only acknowledges.
            log.warning("AI job %s answered but not acknowledged: %s", entry.id, exc)

    async def _dead_letter(self, entry: StreamEntry, kind: str, error: str) -> None:
        try:
            await self.queue.dead_letter(entry, error)
        except (RedisError, OSError) as exc:
            log.error("AI job %s not dead-lettered (stays pending): %s", entry.id, exc)
            return
        ai_dead_letters.inc()
        ai_jobs.labels(kind, "dead").inc()
        log.error(
            "AI job %s dead-lettered after %d deliveries: %s", entry.id, entry.deliveries, error
        )

    async def answer(self, job: AiJob) -> str:
        """Answer one job; returns its outcome: answered, duplicate, skipped or unpaid."""
        db = self.messenger.db
        if await storage.ai_answered(db, job):
            return "duplicate"
        member = await storage.membership(db, job.chat_id, job.user_id)
        if member is None or member.ai_mode != job.kind:
            return "skipped"  # left the chat or changed its mode since the message
        transcript = await storage.transcript_before(
            db, job.chat_id, job.message_id, self.settings.ai_context_messages
        )
        if not transcript or transcript[-1].id != job.message_id:
            return "skipped"  # the message is gone
        if not await self.messenger.can_pay(job):
            return "unpaid"  # the member was told; their balance pays for no more calls
        started = time.perf_counter()
        completion = await self.ai.complete(*build_prompt(job, transcript))
        ai_latency.observe(time.perf_counter() - started)
        text = completion.text[:MAX_TEXT]
        stored: Advice | Message | None
        if job.kind == ADVICE:
            stored = await self.messenger.post_ai_advice(job, text, completion.tokens)
        else:
            stored = await self.messenger.post_ai_reply(job, text, completion.tokens)
        return "duplicate" if stored is None else "answered"
