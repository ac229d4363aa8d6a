"""Seed 003's socket messages in its four dialects (docs/seed003.md §4).

- A, the seed-commit Go server: `getHistory`, `saveNumber`, `updateHistory`.
- B, the Node-era server its shipped client speaks: `join` without `version`, `update`.
- C, HEAD: `join` with `version`, `add`, `remove`.
- V, Voxhub's own: `subscribe`; and `unsubscribe`, which drops every dialect of a key.

Writes join the key's queue (`Appender`) and the socket goes on to its next frame; a write
that fails comes back to its sender as an error frame. Every refusal is the roulette error
frame `{"type": "error", "error", "payload": {"code", "message"}, "key"?}`, and the socket
stays open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from databases import Database

from app.errors import DomainError, bad_request
from app.roulette import values, watching
from app.roulette.appender import Appender
from app.roulette.live import Dialect
from app.roulette.schemas import Session
from app.ws.connection import Connection
from app.ws.gateway import Gateway
from app.ws.protocol import Frame, now_iso
from app.ws.registry import WsRouter

log = logging.getLogger("voxhub.roulette")

Handler = Callable[[Connection, Frame], Awaitable[None]]
# HEAD's frames that act on the socket's joined key whatever key they carry.
JOINED_KEY_TYPES = frozenset({"add", "remove"})


def error_frame(code: str, message: str, key: str | None) -> Frame:
    """HEAD's client shows `error`; Voxhub's other clients read `payload`."""
    frame: Frame = {
        "type": "error",
        "error": message,
        "payload": {"code": code, "message": message},
        "timestamp": now_iso(),
    }
    if key is not None:
        frame["key"] = key
    return frame


class RouletteSockets:
    def __init__(self, db: Database, gateway: Gateway, appender: Appender) -> None:
        self.db = db
        self.gateway = gateway
        self.appender = appender

    def install(self, router: WsRouter) -> None:
        handlers: dict[str, Handler] = {
            "getHistory": self.get_history,
            "saveNumber": self.save_number,
            "updateHistory": self.update_history,
            "join": self.join,
            "update": self.update,
            "add": self.add,
            "remove": self.remove,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
        }
        for kind, handler in handlers.items():
            router.add(kind, partial(_refusals_as_error_frames, handler))

    # -- A: the seed-commit Go server ----------------------------------------------------------

    async def get_history(self, conn: Connection, frame: Frame) -> None:
        key = values.key(_field(frame, "key"))
        await watching.register(self.gateway, conn, key, Dialect.A)
        await watching.answer(
            self.db,
            conn,
            key,
            lambda history: {"type": "historyUpdate", "key": key, "history": history},
        )

    async def save_number(self, conn: Connection, frame: Frame) -> None:
        key, number = values.save(_field(frame, "key"), _field(frame, "number"))
        client_id = values.client_id(_field(frame, "client_id"))
        await watching.register(self.gateway, conn, key, Dialect.A)
        self._report(conn, key, self.appender.append(key, number, client_id))

    async def update_history(self, conn: Connection, frame: Frame) -> None:
        key = values.key(_field(frame, "key"))
        history = values.history(_field(frame, "history"))
        await watching.register(self.gateway, conn, key, Dialect.A)
        self._report(conn, key, self.appender.replace(key, history))

    # -- B and C: `join`, then act on the joined key ---------------------------------------------

    async def join(self, conn: Connection, frame: Frame) -> None:
        key = values.key(_field(frame, "key"))
        dialect = Dialect.C if _has(frame, "version") else Dialect.B
        await watching.join(self.gateway, conn, key, dialect)
        await watching.answer(
            self.db,
            conn,
            key,
            lambda history: {"type": "sync", "key": key, "history": history, "full": True},
        )

    async def update(self, conn: Connection, frame: Frame) -> None:
        given = _field(frame, "key")
        key = values.key(given) if given is not None else _joined(conn)
        history = values.history(_field(frame, "history"))
        self._report(conn, key, self.appender.replace(key, history))

    async def add(self, conn: Connection, frame: Frame) -> None:
        key = _joined(conn)
        number = values.required_number(_field(frame, "number"))
        client_id = values.client_id(_field(frame, "client_id"))
        self._report(conn, key, self.appender.append(key, number, client_id))

    async def remove(self, conn: Connection, frame: Frame) -> None:
        key = _joined(conn)
        index = values.index(_field(frame, "index"))
        self._report(conn, key, self.appender.remove(key, index))

    # -- V: Voxhub's own ---------------------------------------------------------------------------

    async def subscribe(self, conn: Connection, frame: Frame) -> None:
        key = values.key(_field(frame, "key"))
        await watching.register(self.gateway, conn, key, Dialect.V)
        await watching.answer(self.db, conn, key, {"type": "subscribed", "key": key})

    async def unsubscribe(self, conn: Connection, frame: Frame) -> None:
        key = values.key(_field(frame, "key"))
        await watching.unwatch(self.gateway, conn, key)
        conn.send({"type": "unsubscribed", "key": key})

    def _report(self, conn: Connection, key: str, done: asyncio.Future[Session]) -> None:
        """The write is queued; only its failure is the sender's own news (its success comes
        to every watcher, the sender included when it watches)."""
        done.add_done_callback(partial(_report_failure, conn, key))


async def _refusals_as_error_frames(handler: Handler, conn: Connection, frame: Frame) -> None:
    try:
        await handler(conn, frame)
    except DomainError as exc:
        conn.send(error_frame(exc.code, exc.message, _key_of(conn, frame)))


def _key_of(conn: Connection, frame: Frame) -> str | None:
    """The key a refused frame is about: the joined key for those acting on it (`add`,
    `remove`, a keyless `update`; HEAD's client drops frames naming another key), else the
    frame's own key when it is one."""
    given = _field(frame, "key")
    if frame["type"] in JOINED_KEY_TYPES or (frame["type"] == "update" and given is None):
        return watching.joined_key(conn)
    return given if values.is_key(given) else None


def _report_failure(conn: Connection, key: str, done: asyncio.Future[Session]) -> None:
    if done.cancelled():
        return
    exc = done.exception()
    if exc is None:
        return
    if isinstance(exc, DomainError):
        conn.send(error_frame(exc.code, exc.message, key))
        return
    log.error("roulette write on %r failed: %r", key, exc)
    conn.send(error_frame("internal_error", "the change could not be saved", key))


def _joined(conn: Connection) -> str:
    key = watching.joined_key(conn)
    if key is None:
        raise bad_request(values.NO_SESSION_KEY)
    return key


def _field(frame: Frame, name: str) -> Any:
    """The seeds put fields at the top level; Voxhub's envelope puts them in `payload`."""
    if name in frame:
        return frame[name]
    payload = frame.get("payload")
    return payload.get(name) if isinstance(payload, dict) else None


def _has(frame: Frame, name: str) -> bool:
    payload = frame.get("payload")
    return name in frame or (isinstance(payload, dict) and name in payload)
