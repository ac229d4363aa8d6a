"""The lean WebSocket protocol: its events behave as asyncio's, and what it drops is unused."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import sanic

from app.compat.sanic_lean_ws import SUPPORTED, LeanEvent, _lean


async def test_lean_event_wakes_every_waiter_and_keeps_no_list_behind() -> None:
    event = LeanEvent()
    waiters = [asyncio.create_task(event.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert len(event._waiters) == 3 and not event.is_set()
    event.set()
    assert await asyncio.gather(*waiters) == [True, True, True]
    assert event._waiters == []
    assert await asyncio.wait_for(event.wait(), 1) is True  # already set: no waiting
    event.clear()
    late = asyncio.create_task(event.wait())
    await asyncio.sleep(0.01)
    assert not late.done()
    late.cancel()
    await asyncio.gather(late, return_exceptions=True)
    assert event._waiters == []  # a cancelled waiter removes itself too


async def test_lean_event_is_smaller_than_asyncio_s() -> None:
    plain = asyncio.Event()
    lean = _lean(plain)
    assert isinstance(lean, LeanEvent) and not lean.is_set()
    assert sys.getsizeof(lean._waiters) < sys.getsizeof(plain._waiters) / 5
    plain.set()
    assert _lean(plain).is_set()


async def test_an_event_with_a_waiter_is_kept() -> None:
    plain = asyncio.Event()
    waiter = asyncio.create_task(plain.wait())
    await asyncio.sleep(0)
    assert _lean(plain) is plain  # swapping it would strand the waiter
    plain.set()
    await waiter


def test_the_dropped_queue_is_never_used_by_sanic() -> None:
    """The protocol sets the assembler's `completed_queue` to None: safe only while nothing in
    Sanic reads it. A Sanic release that does fails here (and at start-up, by version)."""
    assert sanic.__version__.startswith(SUPPORTED)
    package = Path(sanic.__file__).parent
    uses = [
        f"{path.relative_to(package)}: {line.strip()}"
        for path in package.rglob("*.py")
        for line in path.read_text().splitlines()
        if re.search(r"completed_queue\b(?!\s*[:=,\"'])", line)
    ]
    assert uses == []
