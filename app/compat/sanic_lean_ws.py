"""Sanic's WebSocket protocol, minus the per-socket memory an idle socket never uses.

Each socket gets five `asyncio.Event`s and an `asyncio.Queue` from Sanic. An empty
`collections.deque` (the waiter list of each) holds one 64-slot block: about 760 bytes, and
the queue holds four. With 20,000 sockets that is over 100 MB for waiter lists that are
empty nearly all the time, and for a queue Sanic 25.12 creates and never reads. This protocol
gives the events list-based waiters (56 bytes empty; a socket's events have at most a waiter or
two) and drops the unused queue.

Only attributes are swapped, never Sanic's logic; `pin` names the release these attributes
were checked against (tests/compat/test_sanic_lean_ws.py re-checks them and the unused queue).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import sanic
from sanic.server.protocols.websocket_protocol import WebSocketProtocol
from sanic.server.websockets.impl import WebsocketImplProtocol

from app.compat import pin

SUPPORTED = "25.12."
# Checked once, when `voxhub serve` imports the protocol, not per connection.
pin("sanic", SUPPORTED, __name__)


class LeanEvent(asyncio.Event):
    """An `asyncio.Event` whose waiters are a list: `Event.wait` only appends and removes,
    and `set` only iterates, which a list does as well as a deque for one or two waiters."""

    def __init__(self, value: bool = False) -> None:  # no super(): it would build a deque
        self._value = value
        self._waiters: list[asyncio.Future[bool]] = []  # type: ignore[assignment]  # a list where asyncio declares a deque: the point of the class


def _lean(event: asyncio.Event) -> asyncio.Event:
    """`event`'s state in a LeanEvent; the original if a task already waits on it."""
    if event._waiters:  # private to asyncio.Event, read only
        return event
    return LeanEvent(event.is_set())


class LeanWebSocketProtocol(WebSocketProtocol):
    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._can_write = _lean(self._can_write)
        self._data_received = _lean(self._data_received)

    async def websocket_handshake(
        self, request: sanic.Request, subprotocols: Sequence[str] | None = None
    ) -> WebsocketImplProtocol:
        # A route's subprotocols are offered, not required: websockets refuses (400) a client
        # that offers none when the server has some, and /ws's clients mostly offer none.
        if not request.headers.get("sec-websocket-protocol"):
            subprotocols = None
        ws = await super().websocket_handshake(request, subprotocols)
        assembler = ws.assembler
        assembler.message_complete = _lean(assembler.message_complete)
        assembler.message_fetched = _lean(assembler.message_fetched)
        assembler.completed_queue = None  # created by Sanic, never read (see the test)
        return ws
