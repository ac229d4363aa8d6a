"""Writes that travel together: while one batch is on the wire, new items wait and then go
as the next batch, in order.

Under a burst (a reconnect storm's subscriptions and presence marks) this costs one round
trip per batch instead of one per item; a lone item waits for no timer. The hub's
(un)subscribes and the gateway's presence marks both go through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Batches(Generic[T]):
    def __init__(self, write: Callable[[list[T]], Awaitable[None]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def put(self, item: T) -> None:
        """Returns once `item`'s batch is written; raises what writing that batch raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_batches())
        await done

    def close(self) -> None:
        """Stop writing; whoever still waits is released (what was not written is dropped)."""
        if self._writer is not None:
            self._writer.cancel()
        _release(self._waiting)
        self._waiting = []

    async def _write_batches(self) -> None:
        batch: list[tuple[T, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._write([item for item, _ in batch])
                except Exception as exc:  # every item of the batch fails alike; none may hang
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                _release(batch)
        finally:  # cancelled at close: nobody may wait forever
            self._writer = None
            _release(batch)


def _release(waiting: list[tuple[T, asyncio.Future[None]]]) -> None:
    for _, done in waiting:
        if not done.done():
            done.set_result(None)
