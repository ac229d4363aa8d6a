"""The per-worker pub/sub hub: one Redis connection, many local listeners.

Every worker process holds exactly one subscriber connection. A channel is subscribed when the
first local listener appears and unsubscribed when the last one leaves, so a worker only
receives what its own sockets need. Listeners are plain callables that must not block (they
enqueue onto a socket's outbox): one slow socket can never stall delivery to the others.

Redis restarts and silent network drops are survived: the reader pings an idle connection,
treats a missing reply as a dead link, reconnects with backoff and resubscribes every channel
that still has listeners (presence, which lived only in the old Redis, comes back with the
gateway's next heartbeat).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from contextlib import suppress

from prometheus_client import Counter, Histogram
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.bus.batches import Batches
from app.observability.metrics import LATENCY_BUCKETS

log = logging.getLogger("voxhub.bus")

Listener = Callable[[str, str], None]
"""`listener(channel, payload)`: one function may serve many channels."""

delivery_latency = Histogram(
    "voxhub_bus_delivery_latency_seconds",
    "Publish-to-dispatch latency of pub/sub messages (cross-worker delivery)",
    buckets=LATENCY_BUCKETS,
)
publish_latency = Histogram(
    "voxhub_bus_publish_duration_seconds", "Time to PUBLISH to Redis", buckets=LATENCY_BUCKETS
)
reconnects = Counter("voxhub_bus_reconnects_total", "Pub/sub reconnections after a lost link")

_SEPARATOR = "|"


def envelope(payload: str) -> str:
    """`payload` as `Hub.publish` sends it. Lua scripts that publish themselves (to save the
    round trip of a publish after the script) send this, so receivers see one format."""
    return f"{time.time():.6f}{_SEPARATOR}{payload}"


class Hub:
    """Channel multiplexer over one pub/sub connection.

    Messages travel as `<sent unix time>|<payload>` so the receiving worker can measure
    cross-worker delivery latency without parsing the payload.
    """

    def __init__(self, redis: Redis, *, ping_interval: float = 5.0) -> None:
        self.redis = redis
        self.ping_interval = ping_interval
        self._listeners: dict[str, set[Listener]] = {}
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._closing = False
        self._commands: Batches[tuple[str, str]] = Batches(self._send_batch)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Link now if Redis answers; otherwise the reader keeps trying in the background
        (the worker still starts and reports Redis as failing on /health)."""
        try:
            await self._connect()
        except (RedisError, OSError) as exc:
            log.warning("pub/sub link not up at start: %s", exc)
        self._reader = asyncio.create_task(self._read_forever(), name="voxhub-hub-reader")

    async def close(self) -> None:
        self._closing = True
        self._commands.close()
        if self._reader:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader
        await self._drop_pubsub()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(self._listeners)

    # -- publish / subscribe ---------------------------------------------------------------

    async def publish(self, channel: str, payload: str) -> int:
        """Publish; returns how many workers received it (0: nobody is listening)."""
        started = time.perf_counter()
        receivers = await self.redis.publish(channel, envelope(payload))
        publish_latency.observe(time.perf_counter() - started)
        return receivers

    async def subscribe(self, channel: str, listener: Listener) -> None:
        listeners = self._listeners.setdefault(channel, set())
        first = not listeners
        listeners.add(listener)
        if first:
            await self._send("subscribe", channel)

    async def unsubscribe(self, channel: str, listener: Listener) -> None:
        listeners = self._listeners.get(channel)
        if not listeners or listener not in listeners:
            return
        listeners.discard(listener)
        if not listeners:
            del self._listeners[channel]
            await self._send("unsubscribe", channel)

    async def _send(self, command: str, channel: str) -> None:
        """(Un)subscribe now if linked; a lost link resubscribes from `_listeners` anyway.

        Commands go in batches (`Batches`), consecutive ones of a kind as one command: a storm
        of sockets arriving at once costs a few round trips, not one per socket."""
        if self._pubsub is None or not self.connected:
            return
        await self._commands.put((command, channel))

    async def _send_batch(self, commands: list[tuple[str, str]]) -> None:
        for command, run in itertools.groupby(commands, key=lambda pair: pair[0]):
            await self._send_group(command, [channel for _, channel in run])

    async def _send_group(self, command: str, channels: list[str]) -> None:
        pubsub = self._pubsub
        if pubsub is None or not self.connected:
            return
        try:
            await getattr(pubsub, command)(*channels)
        except (RedisError, OSError) as exc:
            log.warning(
                "pub/sub %s of %d channels failed (%s); the reader will reconnect",
                command,
                len(channels),
                exc,
            )
            self._connected.clear()

    # -- the reader ------------------------------------------------------------------------

    async def _connect(self) -> None:
        pubsub = self.redis.pubsub()  # keeps pongs: they prove the link alive
        # A pub/sub connection needs one subscription before it can be read: a private
        # keep-alive channel also gives every worker a stable address.
        await pubsub.subscribe("voxhub:hub:keepalive", *self._listeners)
        self._pubsub = pubsub
        self._connected.set()

    async def _drop_pubsub(self) -> None:
        self._connected.clear()
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with suppress(Exception):
                await pubsub.aclose()

    async def _read_forever(self) -> None:
        backoff = 0.1
        while not self._closing:
            if not self.connected:
                await asyncio.sleep(backoff)
                try:
                    await self._connect()
                except (RedisError, OSError) as exc:
                    backoff = min(backoff * 2, 2.0)
                    log.warning("pub/sub reconnect failed: %s", exc)
                    continue
                backoff = 0.1
                reconnects.inc()
                log.info("pub/sub linked; %d channels subscribed", len(self._listeners))
            try:
                await self._read_until_broken()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, RuntimeError) as exc:
                log.warning("pub/sub link lost: %s", exc)
            await self._drop_pubsub()

    async def _read_until_broken(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        last_heard = time.monotonic()
        ping_sent: float | None = None
        while self.connected:
            message = await pubsub.get_message(timeout=self.ping_interval)
            now = time.monotonic()
            if message is not None:
                last_heard, ping_sent = now, None
                if message["type"] == "message":
                    self._dispatch(message["channel"], message["data"])
            elif ping_sent is not None and now - ping_sent >= self.ping_interval:
                raise RedisTimeoutError("no reply to PING: pub/sub link is dead")
            elif ping_sent is None and now - last_heard >= self.ping_interval:
                ping_sent = now
                await pubsub.ping()
        raise RedisConnectionError("pub/sub link marked broken")

    def _dispatch(self, channel: str, raw: str) -> None:
        stamp, _, payload = raw.partition(_SEPARATOR)
        with suppress(ValueError):
            delivery_latency.observe(max(0.0, time.time() - float(stamp)))
        for listener in tuple(self._listeners.get(channel, ())):
            try:
                listener(channel, payload)
            except Exception:
                log.exception("listener for %s failed", channel)
