"""One client socket: identity, per-domain state, and a non-blocking outbox.

Sending never awaits. A frame goes straight to the socket's transport while the transport
keeps up (no task, no lock: the frame bytes are built once, see `protocol.text_frame`, and a
fan-out writes the same bytes to every watcher). Only a backpressured socket gets an outbox
and a writer task, which waits for the transport to drain; so 20,000 idle sockets cost no
task beyond Sanic's own. A consumer too slow to drain `OUTBOX_LIMIT` frames, or
`OUTBOX_BYTES_LIMIT` bytes of them (a few big roulette histories weigh more than hundreds of
small frames), is closed: one stalled phone must not make the worker hoard memory for it or
delay anybody else's delivery.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Coroutine
from typing import Any

from sanic.server.websockets.impl import WebsocketImplProtocol

from app.auth import Identity
from app.compat.sanic_ws_transport import (
    is_open,
    ping,
    send_when_writable,
    text_frame,
    writable_transport,
)
from app.ws.metrics import ws_closed, ws_messages
from app.ws.protocol import Frame, encode

log = logging.getLogger("voxhub.ws")

OUTBOX_LIMIT = 256
OUTBOX_BYTES_LIMIT = 1024 * 1024
# Write straight to the transport while it buffers less than this (uvloop's default high-water
# mark); past it the socket is backpressured and frames wait in the outbox, in order.
WRITE_BUFFER_LIMIT = 64 * 1024

# Fire-and-forget tasks must stay referenced until done, or the loop may drop them mid-way.
_background: set[asyncio.Task[None]] = set()


def spawn(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    task = asyncio.get_running_loop().create_task(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


# Close codes the gateway uses besides the standard ones (RFC 6455 leaves 4000-4999 to apps).
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN = 1013
CLOSE_UNAUTHORIZED = 4001
CLOSE_TIMEOUT = 4408


class Connection:
    __slots__ = (
        "ws",
        "identity",
        "user_id",
        "_state",
        "last_seen",
        "closed",
        "_outbox",
        "_queued_bytes",
        "_writer",
        "_held",
        "topics",
        "over_limit",
        "pongs",
    )

    def __init__(self, ws: WebsocketImplProtocol, identity: Identity):
        self.ws = ws
        self.identity = identity
        self.user_id: str = identity.sub
        # Allocated on first use: most of 20,000 idle sockets never need them.
        self._state: dict[str, Any] | None = None
        self.last_seen = time.monotonic()
        self.closed = False
        self._outbox: deque[bytes] | None = None
        self._queued_bytes = 0
        self._writer: asyncio.Task[None] | None = None
        self._held = False
        # Topics this socket joined (the gateway's registry holds the reverse map).
        self.topics: set[str] | None = None
        # Frames in a row refused by the rate limit, and `pong`s since the last heartbeat.
        self.over_limit = 0
        self.pongs = 0

    @property
    def state(self) -> dict[str, Any]:
        """Per-domain values for this socket (a partner, watched keys), keyed by domain."""
        if self._state is None:
            self._state = {}
        return self._state

    # -- sending -----------------------------------------------------------------------------

    def send(self, frame: Frame) -> None:
        """Send one frame now or queue it (adds `timestamp` when absent)."""
        self.send_text(encode(frame))
        ws_messages.labels("out", frame.get("type", "unknown")).inc()

    def send_text(self, text: str) -> None:
        """Already-encoded text; fan-out paths frame it once with `send_frame` instead."""
        self.send_frame(text_frame(text))

    def send_frame(self, data: bytes) -> None:
        """Wire bytes from `protocol.text_frame`: written at once unless backpressured."""
        if self.closed:
            return
        if self._outbox is None:
            transport = writable_transport(self.ws)
            if transport is None:
                return  # closing: the receive loop cleans up
            if transport.get_write_buffer_size() < WRITE_BUFFER_LIMIT:
                transport.write(data)
                return
            self._outbox = deque()
        elif (
            len(self._outbox) >= OUTBOX_LIMIT or self._queued_bytes + len(data) > OUTBOX_BYTES_LIMIT
        ):
            self.close_soon(CLOSE_POLICY, "slow consumer", "slow_consumer")
            return
        self._outbox.append(data)
        self._queued_bytes += len(data)
        if self._writer is None and not self._held:
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    def hold(self) -> None:
        """Keep every frame in the outbox until `release`: a socket enrolled somewhere before
        it is greeted (see `Gateway.on_connect`) must still hear its greeting first."""
        self._held = True
        if self._outbox is None:
            self._outbox = deque()

    def release(self, first: Frame) -> None:
        """Send `first`, then what waited, in order; sending is immediate again afterwards."""
        waiting = self._outbox or deque()
        self._held = False
        self._outbox = None
        self._queued_bytes = 0
        self.send(first)
        for data in waiting:
            self.send_frame(data)

    async def _drain(self) -> None:
        """Write queued frames in order, each once the transport accepts more."""
        outbox = self._outbox
        try:
            while outbox and not self.closed and is_open(self.ws):
                data = outbox.popleft()
                self._queued_bytes -= len(data)
                await send_when_writable(self.ws, data)
        except Exception as exc:  # the peer is gone; the receive loop notices and cleans up
            log.debug("send to %s failed: %s", self.user_id, exc)
            self.closed = True
        finally:
            self._writer = None
            self._outbox = None
            self._queued_bytes = 0

    @property
    def pending(self) -> int:
        return len(self._outbox) if self._outbox else 0

    # -- activity and closing ----------------------------------------------------------------

    def touch(self) -> None:
        self.last_seen = time.monotonic()

    def ping(self) -> None:
        """A protocol Ping, whose Pong counts as activity (`touch`) like any frame."""
        if not self.closed:
            ping(self.ws, self.touch)

    async def close(self, code: int, reason: str, metric_reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        ws_closed.labels(metric_reason).inc()
        try:
            await self.ws.close(code, reason)
        except Exception as exc:
            log.debug("close of %s failed: %s", self.user_id, exc)

    def close_soon(self, code: int, reason: str, metric_reason: str) -> None:
        """Close from synchronous code (an overflowing outbox, the heartbeat sweep)."""
        if not self.closed:
            spawn(self.close(code, reason, metric_reason))
