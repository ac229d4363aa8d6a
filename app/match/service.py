"""Random voice chat over the gateway: find_match, disconnect and the WebRTC signaling relay.

The relay is the hot path: each connection caches its current partner (set when `match_found`
reaches it, cleared by `partner_disconnected` or when the user leaves), so relaying costs one
publish and no Redis lookup. The cache follows cross-worker events through the gateway's
delivery hooks, which see every frame before its socket does.
"""

from __future__ import annotations

import asyncio
import uuid

from sanic import Sanic

from app.match.metrics import match_wait, matches, observe_sizes
from app.match.store import Found, Left, MatchStore
from app.ws.connection import Connection
from app.ws.delivery import send_to_user
from app.ws.gateway import REASON_DISCONNECTED
from app.ws.protocol import Frame, WsError

SIGNALING_TYPES = ("offer", "answer", "ice_candidate")
WAITING_STATUS = "Looking for a partner..."
REASON_LEFT = "Partner left the conversation"
REASON_LOST = "Partner lost connection"

PARTNER = "match.partner"
ROOM = "match.room"


def _store(app: Sanic) -> MatchStore:
    return app.ctx.match_store


def _forget_partner(app: Sanic, user_id: str) -> None:
    for conn in app.ctx.gateway.local_connections(user_id):
        conn.state.pop(PARTNER, None)
        conn.state.pop(ROOM, None)


async def _tell_left_partner(app: Sanic, left: Left, reason: str) -> None:
    observe_sizes(left.waiting, left.rooms)
    if left.partner:
        await send_to_user(
            app,
            left.partner,
            {
                "type": "partner_disconnected",
                "payload": {"reason": reason, "room_id": left.room_id},
            },
        )


async def _announce(app: Sanic, user_id: str, found: Found, room_id: str) -> None:
    matches.inc()
    match_wait.observe(found.waited_seconds)
    match_wait.observe(0.0)
    # Both publishes in flight at once: one round trip to Redis, not two in a row.
    await asyncio.gather(
        *(
            send_to_user(
                app,
                member,
                {
                    "type": "match_found",
                    "payload": {"partner_id": partner, "room_id": room_id, "role": role},
                },
            )
            for member, partner, role in (
                (found.partner, user_id, "caller"),
                (user_id, found.partner, "callee"),
            )
        )
    )


async def find_match(conn: Connection, frame: Frame) -> None:
    """Pair with the longest-waiting live user, or wait; leaves the current room first."""
    app = conn.app
    room_id = str(uuid.uuid4())
    found = await _store(app).find(conn.user_id, room_id)
    _forget_partner(app, conn.user_id)
    await _tell_left_partner(app, found.left, REASON_LEFT)
    if found.matched:
        await _announce(app, conn.user_id, found, room_id)
    else:
        conn.send({"type": "waiting", "payload": {"status": WAITING_STATUS}})


async def disconnect(conn: Connection, frame: Frame) -> None:
    await leave(conn.app, conn.user_id, REASON_LEFT)


async def leave(app: Sanic, user_id: str, reason: str) -> None:
    left = await _store(app).leave(user_id)
    _forget_partner(app, user_id)
    await _tell_left_partner(app, left, reason)


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
