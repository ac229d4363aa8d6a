"""Seed 003's WebSocket messages: `saveNumber` (top-level `key`/`number`), `subscribe`,
`unsubscribe`. Like the seed, no token is needed; the gateway's per-user limit applies."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from app.roulette.appender import QueueFull
from app.roulette.live import Watchers
from app.roulette.store import Session
from app.roulette.validation import InvalidInput, valid_key, valid_number
from app.ws.connection import Connection
from app.ws.protocol import Frame, WsError, error_frame

log = logging.getLogger("voxhub.roulette")


def _field(frame: Frame, name: str) -> Any:
    """Seed 003 puts fields at the top level; accept the gateway envelope's payload too."""
    if name in frame:
        return frame[name]
    payload = frame.get("payload")
    return payload.get(name) if isinstance(payload, dict) else None


def _key(frame: Frame) -> str:
    try:
        return valid_key(_field(frame, "key"))
    except InvalidInput as exc:
        raise WsError("bad_request", str(exc)) from None


def _watchers(conn: Connection) -> Watchers:
    return conn.app.ctx.roulette_watchers


async def save_number(conn: Connection, frame: Frame) -> None:
    """Queues the save and returns: the socket's next frame need not wait for the commit. The
    update comes back like everyone else's `rouletteUpdate`; a failure as an error frame."""
    key = _key(frame)
    try:
        number = valid_number(_field(frame, "number"))
    except InvalidInput as exc:
        raise WsError("bad_request", str(exc)) from None
    await _watchers(conn).watch(conn, key)
    try:
        saved = conn.app.ctx.roulette_appender.append(key, number)
    except QueueFull:
        raise WsError("busy", "too many saves are waiting on this key; slow down") from None
    saved.add_done_callback(partial(_report_failure, conn))


def _report_failure(conn: Connection, saved: asyncio.Future[Session]) -> None:
    if saved.cancelled() or saved.exception() is None:
        return
    log.error("saveNumber failed: %r", saved.exception())
    conn.send(error_frame("internal_error", "the number could not be saved"))


async def subscribe(conn: Connection, frame: Frame) -> None:
    key = _key(frame)
    await _watchers(conn).watch(conn, key)
    conn.send({"type": "subscribed", "key": key})


async def unsubscribe(conn: Connection, frame: Frame) -> None:
    key = _key(frame)
    await _watchers(conn).unwatch(conn, key)
    conn.send({"type": "unsubscribed", "key": key})
