"""Changes of a key, written in arrival order, several appends to a transaction when they
queue up.

A socket's frames are handled one after another. If a `saveNumber` held its socket until its
transaction committed, one busy table could save only as fast as PostgreSQL round trips allow.
Here a change joins its key's queue and the socket moves on: one writer task per key commits
what waited, consecutive appends together in one transaction (`store.append`), a replace or a
remove alone. So one socket's writes are applied in the order it sent them, whatever their
kind. REST writes join the same queue and await their own result.

Each transaction takes the key's lock first and publishes its live frames before it commits
(`app/roulette/live.py`): across workers, watchers see the key's changes in commit order. A
publish that fails rolls the change back, so nothing is stored that watchers were not told.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from databases import Database

from app.errors import DomainError, not_found
from app.roulette import live, store
from app.roulette.live import Change, Kind
from app.roulette.schemas import Session
from app.roulette.values import Number
from app.ws.gateway import Gateway

# Changes waiting on one key in this worker beyond this are refused: a writer that cannot keep
# up must not make the worker hoard them (the client is told to slow down).
MAX_PENDING = 1000
# Numbers per transaction: bounds one INSERT and the time its batch waits for the slowest part.
MAX_BATCH = 200


@dataclass(frozen=True, slots=True)
class Append:
    number: Number
    # The client's id for this save: a retry with the same id (its first answer lost after
    # the commit) is answered with the session instead of being stored again.
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class Replace:
    history: list[Number]


@dataclass(frozen=True, slots=True)
class Remove:
    index: int


Op = Append | Replace | Remove
Pending = list[tuple[Op, "asyncio.Future[Session]"]]
# What each change of a batch comes to: its session, or the error its sender gets.
Outcome = Session | DomainError


class QueueFull(DomainError):
    """Too many changes wait on this key in this worker: the client is told to slow down."""

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

    def append(
        self, key: str, number: Number, client_id: str | None = None
    ) -> asyncio.Future[Session]:
        """Queue an append; the future resolves once it is published and committed (or, for
        a `client_id` already saved on this key, with the session as it is)."""
        return self.submit(key, Append(number, client_id))

    def replace(self, key: str, history: list[Number]) -> asyncio.Future[Session]:
        return self.submit(key, Replace(history))

    def remove(self, key: str, index: int) -> asyncio.Future[Session]:
        return self.submit(key, Remove(index))

    def submit(self, key: str, op: Op) -> asyncio.Future[Session]:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = []
            writer = asyncio.get_running_loop().create_task(self._write(key))
            self._writers.add(writer)
            writer.add_done_callback(self._writers.discard)
        elif len(queue) >= MAX_PENDING:
            raise QueueFull(key)
        done: asyncio.Future[Session] = asyncio.get_running_loop().create_future()
        queue.append((op, done))
        return done

    async def drain(self) -> None:
        """Wait for every queued change (at shutdown, before the pools close)."""
        while self._writers:
            await asyncio.gather(*self._writers, return_exceptions=True)

    async def _write(self, key: str) -> None:
        batch: Pending = []
        try:
            while queue := self._queues[key]:
                batch, self._queues[key] = _next_batch(queue)
                await self._commit(key, batch)
        finally:  # all answered unless the writer was cancelled mid-write (worker teardown)
            for _, done in [*batch, *self._queues.pop(key)]:
                if not done.done():
                    done.cancel()

    async def _commit(self, key: str, batch: Pending) -> None:
        try:
            async with self.db.transaction():
                await store.lock(self.db, key)
                outcomes, changes = await self._apply(key, [op for op, _ in batch])
                if changes:
                    # The last answered session is the history after the whole batch.
                    last = next(o for o in reversed(outcomes) if isinstance(o, Session))
                    await live.publish(self.gateway.redis, key, changes, last.history)
        except Exception as exc:  # each change fails with the error, as it would alone
            for _, done in batch:
                _fail(done, exc)
            return
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, DomainError):
                _fail(done, outcome)
            else:
                _resolve(done, outcome)

    async def _apply(self, key: str, ops: list[Op]) -> tuple[list[Outcome], list[Change]]:
        """Run a batch (appends only, or one replace or remove) in the open transaction: what
        each change came to, and the changes to publish."""
        first = ops[0]
        if isinstance(first, Replace):
            session = await store.replace(self.db, key, first.history)
            last = session.history[-1] if session.history else None
            return [session], [Change(key, Kind.REPLACE, len(session.history), last)]
        if isinstance(first, Remove):
            session = await store.remove(self.db, key, first.index)
            last = session.history[-1] if session.history else None
            change = Change(key, Kind.REMOVE, len(session.history), last, first.index)
            return [session], [change]
        return await self._append(key, [op for op in ops if isinstance(op, Append)])

    async def _append(self, key: str, ops: list[Append]) -> tuple[list[Outcome], list[Change]]:
        """Appends the batch's new saves. A save whose client id is already stored, or came
        earlier in this batch, is a retry: it is answered with the session as it is after
        the batch."""
        stored = await store.saved_client_ids(
            self.db, key, {op.client_id for op in ops if op.client_id}
        )
        seen: set[str] = set()  # client ids saved earlier in this batch
        fresh: list[int] = []  # indexes of the saves to store
        for index, op in enumerate(ops):
            if op.client_id is None:
                fresh.append(index)
            elif op.client_id not in stored and op.client_id not in seen:
                seen.add(op.client_id)
                fresh.append(index)
        appended = await store.append(
            self.db, key, [ops[i].number for i in fresh], [ops[i].client_id for i in fresh]
        )
        answers = dict(zip(fresh, appended.sessions, strict=True))
        current = appended.sessions[-1] if appended.sessions else await store.get(self.db, key)
        outcomes: list[Outcome] = []
        for index in range(len(ops)):
            answer = answers.get(index, current)  # a retry: the session after the batch
            outcomes.append(answer if answer is not None else not_found("no such session"))
        changes = [
            Change(
                key,
                Kind.APPEND,
                len(session.history),
                ops[index].number,
                dropped=appended.dropped,
            )
            for index, session in answers.items()
        ]
        return outcomes, changes


def _next_batch(queue: Pending) -> tuple[Pending, Pending]:
    """Consecutive appends at the head of `queue` (up to MAX_BATCH), or its first change."""
    size = 1
    if isinstance(queue[0][0], Append):
        while size < min(len(queue), MAX_BATCH) and isinstance(queue[size][0], Append):
            size += 1
    return queue[:size], queue[size:]


def _resolve(done: asyncio.Future[Session], session: Session) -> None:
    if not done.done():  # else its caller already gave up on it (a cancelled REST request)
        done.set_result(session)


def _fail(done: asyncio.Future[Session], error: Exception) -> None:
    if not done.done():
        done.set_exception(error)
