"""Random voice chat over the gateway: find_match, disconnect and the WebRTC signaling relay.

The relay is the hot path: each connection caches its current partner (set when `match_found`
reaches it, cleared by `partner_disconnected` or when the user leaves), so relaying costs one
publish and no Redis lookup. The cache follows cross-worker events through the gateway's
delivery hooks, which see every frame before its socket does.
"""

from __future__ import annotations

import uuid

from sanic import Sanic

from app.match.metrics import match_wait, matches, observe_sizes
from app.match.notices import REASON_LEFT, REASON_LOST
from app.match.store import MatchStore
from app.ws.connection import Connection
from app.ws.delivery import send_to_user
from app.ws.gateway import REASON_DISCONNECTED
from app.ws.protocol import Frame, WsError

SIGNALING_TYPES = ("offer", "answer", "ice_candidate")
WAITING_STATUS = "Looking for a partner..."

PARTNER = "match.partner"
ROOM = "match.room"


def _store(app: Sanic) -> MatchStore:
    return app.ctx.match_store


def _forget_partner(app: Sanic, user_id: str, room_id: str | None = None) -> None:
    """Clear the user's cached partner: the room `room_id` only, or whichever room."""
    for conn in app.ctx.gateway.local_connections(user_id):
        if room_id is None or conn.state.get(ROOM) == room_id:
            conn.state.pop(PARTNER, None)
            conn.state.pop(ROOM, None)


async def find_match(conn: Connection, frame: Frame) -> None:
    """Pair with the longest-waiting live user, or wait; leaves the current room first.

    The script publishes `match_found` itself, so it may reach this worker before the
    script's reply: the cache is cleared before the script, and afterwards only of the room
    the script ended (in case its late `match_found` re-cached it). A socket that already
    holds a new room was matched right after being queued: it gets no `waiting`.
    """
    app = conn.app
    _forget_partner(app, conn.user_id)
    found = await _store(app).find(conn.user_id, str(uuid.uuid4()))
    if found.left.room_id:
        _forget_partner(app, conn.user_id, found.left.room_id)
    observe_sizes(found.left.waiting, found.left.rooms)
    if found.matched:
        matches.inc()
        match_wait.observe(found.waited_seconds)
        match_wait.observe(0.0)
    elif ROOM not in conn.state:
        conn.send({"type": "waiting", "payload": {"status": WAITING_STATUS}})


async def disconnect(conn: Connection, frame: Frame) -> None:
    await leave(conn.app, conn.user_id, REASON_LEFT)


async def leave(app: Sanic, user_id: str, reason: str) -> None:
    left = await _store(app).leave(user_id, reason)
    _forget_partner(app, user_id)
    observe_sizes(left.waiting, left.rooms)


async def relay(conn: Connection, frame: Frame) -> None:
    partner = conn.state.get(PARTNER)
    target = frame.get("to")
    if not partner or target != partner:
        raise WsError("not_your_partner", "'to' must be your current partner's user id")
    await send_to_user(
        conn.app,
        partner,
        {"type": frame["type"], "payload": frame.get("payload"), "from": conn.user_id},
    )


async def user_gone(app: Sanic, user_id: str, reason: str) -> None:
    await leave(app, user_id, REASON_LEFT if reason == REASON_DISCONNECTED else REASON_LOST)


def remember_partner(conn: Connection, frame: Frame) -> None:
    payload = frame.get("payload") or {}
    conn.state[PARTNER] = payload.get("partner_id")
    conn.state[ROOM] = payload.get("room_id")


def forget_ended_room(conn: Connection, frame: Frame) -> None:
    if conn.state.get(ROOM) == (frame.get("payload") or {}).get("room_id"):
        conn.state.pop(PARTNER, None)
        conn.state.pop(ROOM, None)
