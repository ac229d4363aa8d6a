"""One client socket: identity, per-domain state, and a non-blocking outbox.

Sending never awaits. A frame goes straight to the socket's transport while the transport
keeps up (no task, no lock: the frame bytes are built once, see `protocol.text_frame`, and a
fan-out writes the same bytes to every watcher). Only a backpressured socket gets an outbox
and a writer task, which waits for the transport to drain; so 20,000 idle sockets cost no
task beyond Sanic's own. A consumer too slow to drain `OUTBOX_LIMIT` frames is closed: one
stalled phone must not make the worker hoard memory for it or delay anybody else's delivery.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from websockets.protocol import State

from app.auth import Identity
from app.ws.metrics import ws_closed, ws_messages
from app.ws.protocol import Frame, encode, text_frame

if TYPE_CHECKING:
    from sanic import Sanic
    from sanic.server.websockets.impl import WebsocketImplProtocol

log = logging.getLogger("voxhub.ws")

OUTBOX_LIMIT = 256
# Write straight to the transport while it buffers less than this (uvloop's default high-water
# mark); past it the socket is backpressured and frames wait in the outbox, in order.
WRITE_BUFFER_LIMIT = 64 * 1024

CloseCallback = Callable[["Connection"], Awaitable[None]]

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
        "app",
        "ws",
        "identity",
        "user_id",
        "_state",
        "last_seen",
        "closed",
        "_outbox",
        "_writer",
        "_close_callbacks",
    )

    def __init__(self, app: Sanic, ws: WebsocketImplProtocol, identity: Identity):
        self.app = app
        self.ws = ws
        self.identity = identity
        self.user_id: str = identity.sub
        # Allocated on first use: most of 20,000 idle sockets never need them.
        self._state: dict[str, Any] | None = None
        self.last_seen = time.monotonic()
        self.closed = False
        self._outbox: deque[str] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._close_callbacks: list[CloseCallback] | None = None

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
            transport = self.ws.io_proto.transport if self.ws.io_proto else None
            if (
                transport is None
                or transport.is_closing()
                or self.ws.ws_proto.state is not State.OPEN
            ):
                return  # closing: the receive loop cleans up
            if transport.get_write_buffer_size() < WRITE_BUFFER_LIMIT:
                transport.write(data)
                return
            self._outbox = deque()
        elif len(self._outbox) >= OUTBOX_LIMIT:
            self.close_soon(CLOSE_POLICY, "slow consumer", "slow_consumer")
            return
        self._outbox.append(data)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        """Write queued frames in order, each once the transport accepts more (Sanic's
        protocol `send` waits for `resume_writing`)."""
        outbox = self._outbox
        try:
            while outbox and not self.closed and self.ws.ws_proto.state is State.OPEN:
                await self.ws.io_proto.send(outbox.popleft())
        except Exception as exc:  # the peer is gone; the receive loop notices and cleans up
            log.debug("send to %s failed: %s", self.user_id, exc)
            self.closed = True
        finally:
            self._writer = None
            self._outbox = None

    @property
    def pending(self) -> int:
        return len(self._outbox) if self._outbox else 0

    # -- activity and closing ----------------------------------------------------------------

    def touch(self) -> None:
        self.last_seen = time.monotonic()

    def on_close(self, callback: CloseCallback) -> None:
        """Run `callback(conn)` once when this socket closes, for domain cleanup."""
        if self._close_callbacks is None:
            self._close_callbacks = []
        self._close_callbacks.append(callback)

    async def run_close_callbacks(self) -> None:
        callbacks, self._close_callbacks = self._close_callbacks or (), None
        for callback in callbacks:
            try:
                await callback(self)
            except Exception:
                log.exception("close callback failed for %s", self.user_id)

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
