"""Live roulette updates: who watches which key, and the cross-worker fan-out.

A worker subscribes `voxhub:roulette:<key>` once, whatever the number of its sockets watching
that key, and forwards the published text as is: the update is serialized once by the writer,
for every socket on every worker.
"""

from __future__ import annotations

from functools import partial

from prometheus_client import Counter
from sanic import Sanic

from app.roulette.store import Session
from app.ws.connection import Connection
from app.ws.metrics import ws_messages
from app.ws.protocol import WsError, encode, text_frame

CHANNEL_PREFIX = "voxhub:roulette:"
UPDATE_TYPE = "rouletteUpdate"
MAX_KEYS_PER_SOCKET = 32
WATCHED = "roulette.keys"

roulette_updates = Counter(
    "voxhub_roulette_updates_total", "Roulette updates published (WebSocket and REST writes)"
)


class Watchers:
    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.by_key: dict[str, set[Connection]] = {}
        self._listeners: dict[str, partial[None]] = {}

    async def watch(self, conn: Connection, key: str) -> None:
        keys: set[str] = conn.state.setdefault(WATCHED, set())
        if key in keys:
            return
        if len(keys) >= MAX_KEYS_PER_SOCKET:
            raise WsError("too_many_subscriptions", f"watch at most {MAX_KEYS_PER_SOCKET} keys")
        if not keys:
            conn.on_close(self.unwatch_all)
        keys.add(key)
        watchers = self.by_key.setdefault(key, set())
        watchers.add(conn)
        if len(watchers) == 1:
            listener = partial(self._fan_out, key)
            self._listeners[key] = listener
            await self.app.ctx.hub.subscribe(CHANNEL_PREFIX + key, listener)

    async def unwatch(self, conn: Connection, key: str) -> None:
        conn.state.get(WATCHED, set()).discard(key)
        watchers = self.by_key.get(key)
        if not watchers or conn not in watchers:
            return
        watchers.discard(conn)
        if not watchers:
            del self.by_key[key]
            await self.app.ctx.hub.unsubscribe(CHANNEL_PREFIX + key, self._listeners.pop(key))

    async def unwatch_all(self, conn: Connection) -> None:
        for key in list(conn.state.get(WATCHED, ())):
            await self.unwatch(conn, key)

    def _fan_out(self, key: str, text: str) -> None:
        watchers = self.by_key.get(key, ())
        data = text_frame(text)
        for conn in watchers:
            conn.send_frame(data)
        ws_messages.labels("out", UPDATE_TYPE).inc(len(watchers))


async def publish_update(app: Sanic, session: Session, number: int | None) -> None:
    frame = {
        "type": UPDATE_TYPE,
        "key": session.key,
        "number": number,
        "numbers": session.numbers,
    }
    await app.ctx.hub.publish(CHANNEL_PREFIX + session.key, encode(frame))
    roulette_updates.inc()
