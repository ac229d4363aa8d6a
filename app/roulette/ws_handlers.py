"""Seed 003's WebSocket messages: `saveNumber` (top-level `key`/`number`), `subscribe`,
`unsubscribe`. Like the seed, no token is needed; the gateway's per-user limit applies."""

from __future__ import annotations

from typing import Any

from app.roulette import store
from app.roulette.live import Watchers, publish_update
from app.roulette.validation import InvalidInput, valid_key, valid_number
from app.ws.connection import Connection
from app.ws.protocol import Frame, WsError


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
    key = _key(frame)
    try:
        number = valid_number(_field(frame, "number"))
    except InvalidInput as exc:
        raise WsError("bad_request", str(exc)) from None
    session = await store.append(conn.app.ctx.db, key, number)
    await _watchers(conn).watch(conn, key)
    await publish_update(conn.app, session, number)


async def subscribe(conn: Connection, frame: Frame) -> None:
    key = _key(frame)
    await _watchers(conn).watch(conn, key)
    conn.send({"type": "subscribed", "key": key})


async def unsubscribe(conn: Connection, frame: Frame) -> None:
    key = _key(frame)
    await _watchers(conn).unwatch(conn, key)
    conn.send({"type": "unsubscribed", "key": key})
