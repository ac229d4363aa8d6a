"""Saves on a key, written in arrival order, several to a transaction when they queue up.

A socket's frames are handled one after another. If a `saveNumber` held its socket until its
transaction committed, one busy table could save only as fast as PostgreSQL round trips allow.
Here a save joins its key's queue and the socket moves on: one writer task per key commits
everything that waited in one transaction (`store.append`), then publishes each update in
order. Order per key is the order saves reached this worker; across workers the session row's
lock orders the transactions. REST saves join the same queue and await their own result.
"""

from __future__ import annotations

import asyncio

from databases import Database

from app.errors import DomainError
from app.roulette import store
from app.roulette.live import publish_update
from app.roulette.schemas import Session
from app.ws.gateway import Gateway

# Saves waiting on one key in this worker beyond this are refused: a writer that cannot keep
# up must not make the worker hoard them (the client is told to slow down).
MAX_PENDING = 1000
# Numbers per transaction: bounds one INSERT and the time its batch waits for the slowest part.
MAX_BATCH = 200

Pending = list[tuple[int, "asyncio.Future[Session]"]]


class QueueFull(DomainError):
    """Too many saves wait on this key in this worker: the client is told to slow down."""

    def __init__(self, key: str) -> None:
        super().__init__(
            429,
            "too many saves are waiting on this key; slow down",
            code="busy",
            headers={"Retry-After": "1"},
        )


class Appender:
    def __init__(self, db: Database, gateway: Gateway) -> None:
        self.db = db
        self.gateway = gateway
        # A key has a queue exactly while its writer task runs.
        self._queues: dict[str, Pending] = {}
        self._writers: set[asyncio.Task[None]] = set()

    def append(self, key: str, number: int) -> asyncio.Future[Session]:
        """Queue a save; the future resolves once it is committed and published."""
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = []
            writer = asyncio.get_running_loop().create_task(self._write(key))
            self._writers.add(writer)
            writer.add_done_callback(self._writers.discard)
        elif len(queue) >= MAX_PENDING:
            raise QueueFull(key)
        saved: asyncio.Future[Session] = asyncio.get_running_loop().create_future()
        queue.append((number, saved))
        return saved

    async def drain(self) -> None:
        """Wait for every queued save (at shutdown, before the pools close)."""
        while self._writers:
            await asyncio.gather(*self._writers, return_exceptions=True)

    async def _write(self, key: str) -> None:
        batch: Pending = []
        try:
            while queue := self._queues[key]:
                batch, self._queues[key] = queue[:MAX_BATCH], queue[MAX_BATCH:]
                await self._commit(key, batch)
        finally:  # all answered unless the writer was cancelled mid-write (worker teardown)
            for _, saved in [*batch, *self._queues.pop(key)]:
                if not saved.done():
                    saved.cancel()

    async def _commit(self, key: str, batch: Pending) -> None:
        try:
            sessions = await store.append(self.db, key, [number for number, _ in batch])
        except Exception as exc:  # each save fails with the database's error, as it would alone
            for _, saved in batch:
                _fail(saved, exc)
            return
        for (number, saved), session in zip(batch, sessions, strict=True):
            try:
                await publish_update(self.gateway, session, number)
            except Exception as exc:  # stored, not broadcast: the caller hears of it
                _fail(saved, exc)
            else:
                if not saved.done():
                    saved.set_result(session)


def _fail(saved: asyncio.Future[Session], error: Exception) -> None:
    if not saved.done():  # else its caller already gave up on it (a cancelled REST request)
        saved.set_exception(error)
