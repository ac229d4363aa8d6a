"""A worker's roulette: saves queued per key, live updates, and seed 003's socket messages.

`saveNumber` (top-level `key`/`number`), `subscribe` and `unsubscribe`. Like the seed, no token
is needed; the gateway's per-user limit applies. Watching a key is joining its gateway topic.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from databases import Database

from app.http.bodies import parse
from app.roulette import store
from app.roulette.appender import Appender
from app.roulette.live import publish_update, topic
from app.roulette.schemas import KeyRef, SaveNumber, Session
from app.ws.connection import Connection
from app.ws.gateway import Gateway
from app.ws.protocol import Frame, error_frame
from app.ws.registry import WsRouter

log = logging.getLogger("voxhub.roulette")


class Roulette:
    def __init__(self, db: Database, gateway: Gateway) -> None:
        self.db = db
        self.gateway = gateway
        self.appender = Appender(db, gateway)

    def install(self, router: WsRouter) -> None:
        router.add("saveNumber", self.save_number)
        router.add("subscribe", self.subscribe)
        router.add("unsubscribe", self.unsubscribe)

    async def replace(self, key: str, numbers: list[int]) -> Session:
        session = await store.replace(self.db, key, numbers)
        await publish_update(self.gateway, session, numbers[-1] if numbers else None)
        return session

    # -- socket messages ---------------------------------------------------------------------

    async def save_number(self, conn: Connection, frame: Frame) -> None:
        """Queues the save and returns: the socket's next frame need not wait for the commit.
        The update comes back like everyone else's `rouletteUpdate`; a failure as an error
        frame."""
        save = parse(SaveNumber, {name: _field(frame, name) for name in ("key", "number")})
        await self.gateway.join(conn, topic(save.key))
        saved = self.appender.append(save.key, save.number)
        saved.add_done_callback(partial(_report_failure, conn))

    async def subscribe(self, conn: Connection, frame: Frame) -> None:
        key = _key(frame)
        await self.gateway.join(conn, topic(key))
        conn.send({"type": "subscribed", "key": key})

    async def unsubscribe(self, conn: Connection, frame: Frame) -> None:
        key = _key(frame)
        await self.gateway.leave(conn, topic(key))
        conn.send({"type": "unsubscribed", "key": key})


def _field(frame: Frame, name: str) -> Any:
    """Seed 003 puts fields at the top level; accept the gateway envelope's payload too."""
    if name in frame:
        return frame[name]
    payload = frame.get("payload")
    return payload.get(name) if isinstance(payload, dict) else None


def _key(frame: Frame) -> str:
    return parse(KeyRef, {"key": _field(frame, "key")}).key


def _report_failure(conn: Connection, saved: asyncio.Future[Session]) -> None:
    if saved.cancelled() or saved.exception() is None:
        return
    log.error("saveNumber failed: %r", saved.exception())
    conn.send(error_frame("internal_error", "the number could not be saved"))
