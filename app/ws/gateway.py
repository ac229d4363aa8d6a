"""The per-worker gateway: the one registry of local sockets and the channels they hear.

Every channel a worker subscribes for its sockets is in `_subscribers`: a user's channel holds
that user's local sockets (joined on attach), a topic's channel (a roulette key) the sockets
that joined it. The hub delivers every such channel to one function, `_deliver`, which frames
the text once and writes the same bytes to each socket (centrifuge's hub does the same). A
channel is subscribed in Redis with its first local socket and unsubscribed with its last, so
a worker hears only what its own sockets need.

Domains talk to sockets only through this object: `send_to_user(s)` and `publish` for frames,
`join`/`leave` for topics, `on_connect`, `on_user_gone` and `on_delivery` hooks for their own
state. One heartbeat loop per worker (not a task per socket) pings every socket, with a JSON
`ping` and a protocol Ping (browsers answer the latter by themselves, and its Pong counts as
activity), closes the silent ones and refreshes presence in one Redis pipeline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress

from redis.asyncio import Redis

from app.bus.hub import Hub
from app.bus.ratelimit import RateLimiter
from app.compat.sanic_ws_transport import text_frame
from app.config import Settings
from app.errors import DomainError, bad_request
from app.ws import delivery, janitor, presence
from app.ws.connection import CLOSE_GOING_AWAY, CLOSE_POLICY, CLOSE_TIMEOUT, Connection, spawn
from app.ws.metrics import ws_connections, ws_messages
from app.ws.protocol import Frame, encode, error_frame, parse_frame
from app.ws.registry import WsRouter

log = logging.getLogger("voxhub.ws")

ConnectHook = Callable[[Connection], Awaitable[None]]
UserGoneHook = Callable[[str, str], Awaitable[None]]
DeliveryHook = Callable[[Connection, Frame], None]

REASON_DISCONNECTED = "disconnected"
# `pong`s a socket may send per HEARTBEAT_INTERVAL without spending its frame budget (it gets
# one `ping`; a few spare for clients that also answer the protocol Ping). Past them a `pong`
# is a frame like any other: counted, and closed for when it keeps coming.
FREE_PONGS_PER_HEARTBEAT = 3
_PONG_SIZE = 128
SHUTDOWN_GRACE = 5.0
# Topics one socket may join: each costs the worker a subscription while it is held. Roulette
# watches at most 32 keys per socket, each in up to its four dialects (one topic each).
MAX_TOPICS_PER_SOCKET = 128


class Gateway:
    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        hub: Hub,
        limiter: RateLimiter,
        router: WsRouter,
        worker_id: str,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.hub = hub
        self.limiter = limiter
        self.router = router
        self.worker_id = worker_id
        self.count = 0
        # channel -> the local sockets that hear it: the one map from Redis back to sockets.
        self._subscribers: dict[str, set[Connection]] = {}
        self._presence = presence.PresenceWriter(
            redis, worker_id, presence.presence_ttl_ms(settings)
        )
        self._connect_hooks: list[ConnectHook] = []
        self._gone_hooks: list[UserGoneHook] = []
        self._delivery_hooks: dict[str, list[DeliveryHook]] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._idle: asyncio.Event | None = None  # set when the last socket detaches at shutdown
        router.add("pong", _pong)
        router.add("ping", _ping)

    # -- what domains use ----------------------------------------------------------------------

    def on_connect(self, hook: ConnectHook) -> None:
        """`hook(conn)` once a new socket is attached (reachable through its user's channel),
        before its `session` frame goes out: lets a domain enrol every new socket (seed 004's
        MATCH_ON_CONNECT pool). A failing hook refuses the socket like a failed attach."""
        self._connect_hooks.append(hook)

    @property
    def greets_after_connect_hooks(self) -> bool:
        """True when the `session` frame must wait for `on_connect` hooks (see `attach`)."""
        return bool(self._connect_hooks)

    def on_user_gone(self, hook: UserGoneHook) -> None:
        """`hook(user_id, reason)` after a user's last local socket closed or their worker died."""
        self._gone_hooks.append(hook)

    def on_delivery(self, kind: str, hook: DeliveryHook) -> None:
        """`hook(conn, frame)` for each local socket of a user receiving a `kind` frame, before
        it is sent: lets a domain keep per-connection caches in step with cross-worker events."""
        self._delivery_hooks.setdefault(kind, []).append(hook)

    async def send_to_user(self, user_id: str, frame: Frame) -> None:
        await delivery.send_to_user(self.hub, user_id, frame)

    async def send_to_users(self, user_ids: Iterable[str], frame: Frame) -> None:
        await delivery.send_to_users(self.hub, user_ids, frame)

    async def publish(self, topic: str, frame: Frame) -> None:
        """To every socket that joined `topic`, on every worker; encoded once."""
        await delivery.publish(self.hub, topic, frame)

    async def join(self, conn: Connection, topic: str) -> None:
        """`conn` hears `topic` until it leaves it or closes."""
        topics = conn.topics if conn.topics is not None else set()
        if topic in topics:
            return
        if len(topics) >= MAX_TOPICS_PER_SOCKET:
            raise bad_request(
                f"watch at most {MAX_TOPICS_PER_SOCKET} keys", code="too_many_subscriptions"
            )
        topics.add(topic)
        conn.topics = topics
        await self._add(delivery.topic_channel(topic), conn)

    async def leave(self, conn: Connection, topic: str) -> None:
        if conn.topics is None or topic not in conn.topics:
            return
        conn.topics.discard(topic)
        await self._remove(delivery.topic_channel(topic), conn)

    def local_connections(self, user_id: str) -> frozenset[Connection]:
        return frozenset(self._subscribers.get(delivery.user_channel(user_id), ()))

    @property
    def local_users(self) -> list[str]:
        prefix = len(delivery.USER_CHANNEL_PREFIX)
        return [
            channel[prefix:]
            for channel in self._subscribers
            if channel.startswith(delivery.USER_CHANNEL_PREFIX)
        ]

    @property
    def full(self) -> bool:
        return self.count >= self.settings.max_connections

    # -- the registry ----------------------------------------------------------------------------

    async def _add(self, channel: str, conn: Connection) -> bool:
        """True when `conn` is the channel's first local socket (now subscribed)."""
        conns = self._subscribers.get(channel)
        if conns is None:
            conns = self._subscribers[channel] = set()
            conns.add(conn)
            await self.hub.subscribe(channel, self._deliver)
            return True
        conns.add(conn)
        return False

    async def _remove(self, channel: str, conn: Connection) -> bool:
        """True when `conn` was the channel's last local socket (now unsubscribed)."""
        conns = self._subscribers.get(channel)
        if conns is None or conn not in conns:
            return False
        conns.discard(conn)
        if conns:
            return False
        del self._subscribers[channel]
        await self.hub.unsubscribe(channel, self._deliver)
        return True

    def _deliver(self, channel: str, payload: str) -> None:
        conns = self._subscribers.get(channel)
        if not conns:
            return
        kind, text = delivery.unpack(payload)
        hooks = self._delivery_hooks.get(kind)
        if hooks:
            frame = json.loads(text)
            for conn in conns:
                for hook in hooks:
                    hook(conn, frame)
        data = text_frame(text)
        for conn in tuple(conns):
            conn.send_frame(data)
        ws_messages.labels("out", kind).inc(len(conns))

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def _presence_ttl_ms(self) -> int:
        return presence.presence_ttl_ms(self.settings)

    async def start(self) -> None:
        # Announce this worker now, not one heartbeat later: /stats counts it from the start.
        try:
            await presence.refresh(self.redis, self.worker_id, [], self._presence_ttl_ms)
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
        await asyncio.gather(
            *(
                conn.close(CLOSE_GOING_AWAY, "server shutting down", "shutdown")
                for conn in self._all_connections()
            )
        )
        self._idle = asyncio.Event()
        if self.count:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), SHUTDOWN_GRACE)
        for conn in self._all_connections():
            await self.detach(conn)
        with suppress(Exception):
            await presence.forget_worker(self.redis, self.worker_id)

    def _all_connections(self) -> list[Connection]:
        return [
            conn
            for channel, conns in self._subscribers.items()
            if channel.startswith(delivery.USER_CHANNEL_PREFIX)
            for conn in conns
        ]

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
        self.count += 1
        ws_connections.inc()
        if await self._add(delivery.user_channel(conn.user_id), conn):
            await self._presence.online(conn.user_id)
        for hook in self._connect_hooks:
            await hook(conn)

    async def detach(self, conn: Connection) -> None:
        """Idempotent: the receive loop, the heartbeat and shutdown may all get here.

        Once a user's last local socket is gone: the `user_gone` hooks first (out of the match
        queue before anything slower, so that nobody is paired with a closed socket), then the
        socket's topics, the user's channel and presence."""
        user_id = conn.user_id
        channel = delivery.user_channel(user_id)
        conns = self._subscribers.get(channel)
        if not conns or conn not in conns:
            return
        conns.discard(conn)
        conn.closed = True
        self.count -= 1
        ws_connections.dec()
        if self._idle is not None and not self.count:
            self._idle.set()
        last = not conns
        if last:
            del self._subscribers[channel]
            await self.user_gone(user_id, REASON_DISCONNECTED)
        for topic in list(conn.topics or ()):
            await self.leave(conn, topic)
        if not last or channel in self._subscribers:  # back on this worker meanwhile
            return
        try:
            await self.hub.unsubscribe(channel, self._deliver)
            await self._presence.offline(user_id)
        except Exception as exc:  # Redis down: presence expires by itself
            log.warning("presence cleanup for %s failed: %s", user_id, exc)

    async def user_gone(self, user_id: str, reason: str) -> None:
        for hook in self._gone_hooks:
            try:
                await hook(user_id, reason)
            except Exception:
                log.exception("user-gone hook failed for %s", user_id)

    # -- client frames ---------------------------------------------------------------------------

    async def handle(self, conn: Connection, raw: str | bytes) -> None:
        """Answer bad input with an error frame; only a client that keeps sending past its
        rate limit is closed. A frame over the limit is counted before it is parsed."""
        conn.touch()
        if conn.pongs < FREE_PONGS_PER_HEARTBEAT and _is_pong(raw):
            conn.pongs += 1
            ws_messages.labels("in", "pong").inc()
            return
        if await self._limited(conn):
            return
        try:
            frame = parse_frame(raw)
        except DomainError as exc:
            ws_messages.labels("in", "invalid").inc()
            conn.send(error_frame(exc.code, exc.message))
            return
        kind = frame["type"]
        ws_messages.labels("in", kind if self.router.knows(kind) else "unknown").inc()
        try:
            await self.router.dispatch(conn, frame)
        except DomainError as exc:
            conn.send(error_frame(exc.code, exc.message))
        except Exception:
            log.exception("handler for %r failed", kind)
            conn.send(error_frame("internal_error", "the server could not handle that message"))

    async def _limited(self, conn: Connection) -> bool:
        # Within a lease this returns without suspending: no loop round on the hot path.
        if await self.limiter.allow(f"ws:{conn.user_id}"):
            conn.over_limit = 0
            return False
        conn.over_limit += 1
        if conn.over_limit >= self.settings.ws_over_limit_close:
            # The receive loop ends on the closed socket and detaches it.
            await conn.close(CLOSE_POLICY, "rate limit exceeded", "rate_limited")
        else:
            conn.send(error_frame("rate_limited", "too many messages; slow down"))
        return True

    # -- periodic work -------------------------------------------------------------------------

    async def heartbeat(self) -> None:
        ping = text_frame(encode({"type": "ping"}))
        silent_since = time.monotonic() - self.settings.connection_timeout
        pinged = 0
        for conn in self._all_connections():
            if conn.last_seen < silent_since:
                spawn(self._expire(conn))
            else:
                conn.pongs = 0
                conn.send_frame(ping)
                conn.ping()
                pinged += 1
        ws_messages.labels("out", "ping").inc(pinged)
        self.limiter.prune()
        await presence.refresh(self.redis, self.worker_id, self.local_users, self._presence_ttl_ms)

    async def _expire(self, conn: Connection) -> None:
        await conn.close(CLOSE_TIMEOUT, "connection timeout", "timeout")
        await self.detach(conn)

    async def sweep(self) -> int:
        lock_ms = int(self.settings.cleanup_interval * 1000)
        return await janitor.sweep(self.redis, self.worker_id, lock_ms, self.user_gone)


def _is_pong(raw: str | bytes) -> bool:
    """A small text frame whose type is `pong` (parsed only when that is plausible)."""
    if not isinstance(raw, str) or len(raw) > _PONG_SIZE or "pong" not in raw:
        return False
    try:
        return parse_frame(raw)["type"] == "pong"
    except DomainError:
        return False


async def _pong(conn: Connection, frame: Frame) -> None:
    """Any frame already counts as activity; a `pong` needs nothing more."""


async def _ping(conn: Connection, frame: Frame) -> None:
    conn.send({"type": "pong"})
