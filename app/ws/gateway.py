"""The per-worker gateway: local sockets by user, delivery, heartbeat and the janitor loop.

One heartbeat loop per worker (not a task per socket) pings every socket, closes the silent
ones and refreshes presence in one Redis pipeline. A user's channel is subscribed when their
first local socket opens and unsubscribed with the last, so a worker hears only what its own
sockets need.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import partial

from sanic import Sanic

from app.bus.ratelimit import RateLimiter
from app.ws import janitor, presence
from app.ws.connection import (
    CLOSE_GOING_AWAY,
    CLOSE_TIMEOUT,
    Connection,
    spawn,
)
from app.ws.delivery import unpack, user_channel
from app.ws.metrics import ws_connections, ws_messages
from app.ws.protocol import Frame, WsError, encode, error_frame, parse_frame, text_frame
from app.ws.registry import WsRouter

log = logging.getLogger("voxhub.ws")

UserGoneHook = Callable[[str, str], Awaitable[None]]
DeliveryHook = Callable[[Connection, Frame], None]

REASON_DISCONNECTED = "disconnected"
# Keep-alive answers are never rate-limited: limiting them would time out idle clients.
UNLIMITED_TYPES = frozenset({"pong"})
SHUTDOWN_GRACE = 5.0


class Gateway:
    def __init__(self, app: Sanic, router: WsRouter) -> None:
        self.app = app
        self.router = router
        self.settings = app.ctx.settings
        self.local: dict[str, set[Connection]] = {}
        self.count = 0
        self.limiter: RateLimiter | None = None
        self._listeners: dict[str, Callable[[str], None]] = {}
        self._gone_hooks: list[UserGoneHook] = []
        self._delivery_hooks: dict[str, list[DeliveryHook]] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._idle: asyncio.Event | None = None  # set when the last socket detaches at shutdown

    # -- hooks for domains -------------------------------------------------------------------

    def on_user_gone(self, hook: UserGoneHook) -> None:
        """`hook(user_id, reason)` after a user's last local socket closed or their worker died."""
        self._gone_hooks.append(hook)

    def on_delivery(self, kind: str, hook: DeliveryHook) -> None:
        """`hook(conn, frame)` for each local socket of a user receiving a `kind` frame, before
        it is sent: lets a domain keep per-connection caches in step with cross-worker events."""
        self._delivery_hooks.setdefault(kind, []).append(hook)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def worker_id(self) -> str:
        return self.app.ctx.worker_id

    @property
    def full(self) -> bool:
        return self.count >= self.settings.max_connections

    async def start(self) -> None:
        self.limiter = RateLimiter(self.settings, self.app.ctx.redis)
        # Announce this worker now, not one heartbeat later: /stats counts it from the start.
        try:
            await presence.refresh(
                self.app.ctx.redis, self.worker_id, [], presence.presence_ttl_ms(self.app)
            )
        except Exception as exc:  # Redis down at start: the heartbeat announces it later
            log.warning("worker presence not announced yet: %s", exc)
        self._loops = [
            asyncio.create_task(self._every(self.settings.heartbeat_interval, self.heartbeat)),
            asyncio.create_task(self._every(self.settings.cleanup_interval, self.sweep)),
        ]

    async def stop(self) -> None:
        """Close every socket with 1001 while Redis is still up, so domains can tell partners."""
        for task in self._loops:
            task.cancel()
        conns = [conn for conns in self.local.values() for conn in conns]
        await asyncio.gather(
            *(conn.close(CLOSE_GOING_AWAY, "server shutting down", "shutdown") for conn in conns)
        )
        self._idle = asyncio.Event()
        if self.count:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), SHUTDOWN_GRACE)
        for conn in [conn for conns in self.local.values() for conn in conns]:
            await self.detach(conn)
        with suppress(Exception):
            await presence.forget_worker(self.app.ctx.redis, self.worker_id)

    async def _every(self, interval: float, job: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic %s failed", getattr(job, "__name__", job))

    # -- sockets -------------------------------------------------------------------------------

    async def attach(self, conn: Connection) -> None:
        user_id = conn.user_id
        conns = self.local.setdefault(user_id, set())
        first = not conns
        conns.add(conn)
        self.count += 1
        ws_connections.inc()
        if first:
            listener = partial(self._deliver, user_id)
            self._listeners[user_id] = listener
            await self.app.ctx.hub.subscribe(user_channel(user_id), listener)
            await presence.mark_online(
                self.app.ctx.redis, self.worker_id, user_id, presence.presence_ttl_ms(self.app)
            )

    async def detach(self, conn: Connection) -> None:
        """Idempotent: the receive loop, the heartbeat and shutdown may all get here."""
        user_id = conn.user_id
        conns = self.local.get(user_id)
        if not conns or conn not in conns:
            return
        conns.discard(conn)
        conn.closed = True
        self.count -= 1
        ws_connections.dec()
        if self._idle is not None and not self.count:
            self._idle.set()
        await self._release(conn, conns)

    async def _release(self, conn: Connection, conns: set[Connection]) -> None:
        """Once a user's last local socket is gone: the `user_gone` hooks first (out of the
        match queue before anything slower, so that nobody is paired with a closed socket),
        then per-socket domain cleanup, the user's channel and presence."""
        user_id = conn.user_id
        last = not conns and self.local.get(user_id) is conns
        if not last:
            await conn.run_close_callbacks()
            return
        del self.local[user_id]
        listener = self._listeners.pop(user_id)
        await self.user_gone(user_id, REASON_DISCONNECTED)
        await conn.run_close_callbacks()
        try:
            await self.app.ctx.hub.unsubscribe(user_channel(user_id), listener)
            if user_id not in self.local:  # not back on this worker meanwhile
                await presence.mark_offline(self.app.ctx.redis, self.worker_id, user_id)
        except Exception as exc:  # Redis down: presence expires by itself
            log.warning("presence cleanup for %s failed: %s", user_id, exc)

    async def user_gone(self, user_id: str, reason: str) -> None:
        for hook in self._gone_hooks:
            try:
                await hook(user_id, reason)
            except Exception:
                log.exception("user-gone hook failed for %s", user_id)

    def local_connections(self, user_id: str) -> frozenset[Connection]:
        return frozenset(self.local.get(user_id, ()))

    def _deliver(self, user_id: str, payload: str) -> None:
        conns = self.local.get(user_id)
        if not conns:
            return
        kind, text = unpack(payload)
        hooks = self._delivery_hooks.get(kind)
        if hooks:
            frame = json.loads(text)
            for conn in conns:
                for hook in hooks:
                    hook(conn, frame)
        data = text_frame(text)
        for conn in conns:
            conn.send_frame(data)
        ws_messages.labels("out", kind).inc(len(conns))

    # -- client frames ---------------------------------------------------------------------------

    async def handle(self, conn: Connection, raw: str | bytes) -> None:
        """Answer bad input with an error frame; never let it close the socket."""
        conn.touch()
        await self._handle(conn, raw)

    async def _handle(self, conn: Connection, raw: str | bytes) -> None:
        try:
            frame = parse_frame(raw)
        except WsError as exc:
            ws_messages.labels("in", "invalid").inc()
            if not await self._limited(conn):
                conn.send(error_frame(exc.code, exc.message))
            return
        kind = frame["type"]
        ws_messages.labels("in", kind if self.router.knows(kind) else "unknown").inc()
        if kind not in UNLIMITED_TYPES and await self._limited(conn):
            return
        try:
            await self.router.dispatch(conn, frame)
        except WsError as exc:
            conn.send(error_frame(exc.code, exc.message))
        except Exception:
            log.exception("handler for %r failed", kind)
            conn.send(error_frame("internal_error", "the server could not handle that message"))

    async def _limited(self, conn: Connection) -> bool:
        assert self.limiter is not None
        # Within a lease this returns without suspending: no loop round on the hot path.
        if await self.limiter.allow(f"ws:{conn.user_id}"):
            return False
        conn.send(error_frame("rate_limited", "too many messages; slow down"))
        return True

    # -- periodic work -------------------------------------------------------------------------

    async def heartbeat(self) -> None:
        ping = text_frame(encode({"type": "ping"}))
        silent_since = time.monotonic() - self.settings.connection_timeout
        pinged = 0
        for conns in list(self.local.values()):
            for conn in list(conns):
                if conn.last_seen < silent_since:
                    spawn(self._expire(conn))
                else:
                    conn.send_frame(ping)
                    pinged += 1
        ws_messages.labels("out", "ping").inc(pinged)
        if self.limiter is not None:
            self.limiter.prune()
        await presence.refresh(
            self.app.ctx.redis, self.worker_id, list(self.local), presence.presence_ttl_ms(self.app)
        )

    async def _expire(self, conn: Connection) -> None:
        await conn.close(CLOSE_TIMEOUT, "connection timeout", "timeout")
        await self.detach(conn)

    async def sweep(self) -> int:
        lock_ms = int(self.settings.cleanup_interval * 1000)
        return await janitor.sweep(self.app.ctx.redis, self.worker_id, lock_ms, self.user_gone)
