"""Random voice chat over the gateway: find_match, disconnect, the ICE servers and the relay
of WebRTC signaling and `call_*` frames to the room partner (seed 004's wire contract).

The relay is the hot path: each connection caches its current partner (set when `match_found`
reaches it, cleared by `partner_disconnected` or when the user leaves), so relaying costs one
publish and no Redis lookup. The cache follows cross-worker events through the gateway's
delivery hooks, which see every frame before its socket does.
"""

from __future__ import annotations

import uuid

from app.bus.ratelimit import RateLimiter
from app.config import Settings
from app.errors import bad_request
from app.http.ice_servers import ice_servers
from app.match.metrics import match_wait, matches, observe_sizes
from app.match.notices import REASON_LEFT, REASON_LOST
from app.match.signaling import RELAYS, Relay
from app.match.store import MatchStore
from app.ws.connection import Connection
from app.ws.gateway import REASON_DISCONNECTED, Gateway
from app.ws.protocol import Frame
from app.ws.registry import Handler, WsRouter

WAITING_STATUS = "Looking for a partner..."

PARTNER = "match.partner"
ROOM = "match.room"


class RandomChat:
    """The random chat of one worker: its socket messages and its reactions to users leaving."""

    def __init__(
        self, store: MatchStore, gateway: Gateway, settings: Settings, limiter: RateLimiter
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.settings = settings
        self.limiter = limiter

    def install(self, router: WsRouter) -> None:
        router.add("find_match", self.find_match)
        router.add("disconnect", self.disconnect)
        router.add("get_ice_servers", self.get_ice_servers)
        for kind, relay in RELAYS.items():
            router.add(kind, self._relaying(relay))
        if self.settings.match_on_connect:
            self.gateway.on_connect(self.join_pool)
        self.gateway.on_user_gone(self.user_gone)
        self.gateway.on_delivery("match_found", remember_partner)
        self.gateway.on_delivery("partner_disconnected", forget_ended_room)

    def _forget_partner(self, user_id: str, room_id: str | None = None) -> None:
        """Clear the user's cached partner: the room `room_id` only, or whichever room."""
        for conn in self.gateway.local_connections(user_id):
            if room_id is None or conn.state.get(ROOM) == room_id:
                conn.state.pop(PARTNER, None)
                conn.state.pop(ROOM, None)

    async def find_match(self, conn: Connection, frame: Frame) -> None:
        """Pair with the longest-waiting live user, or wait; leaves the current room first.

        The script publishes `match_found` itself, so it may reach this worker before the
        script's reply: the cache is cleared before the script, and afterwards only of the room
        the script ended (in case its late `match_found` re-cached it). A socket that already
        holds a new room was matched right after being queued: it gets no `waiting`.
        """
        self._forget_partner(conn.user_id)
        found = await self.store.find(conn.user_id, str(uuid.uuid4()))
        if found.left.room_id:
            self._forget_partner(conn.user_id, found.left.room_id)
        observe_sizes(found.left.waiting, found.left.rooms)
        if found.matched:
            matches.inc()
            match_wait.observe(found.waited_seconds)
            match_wait.observe(0.0)
        elif ROOM not in conn.state:
            conn.send({"type": "waiting", "payload": {"status": WAITING_STATUS}})

    async def join_pool(self, conn: Connection) -> None:
        """MATCH_ON_CONNECT: a new socket waits for a partner without a frame of its own, and
        is paired only when someone's `find_match` picks it."""
        observe_sizes(*await self.store.join_pool(conn.user_id))

    async def disconnect(self, conn: Connection, frame: Frame) -> None:
        """Leave the room and the pool; the socket stays open for the next `find_match`."""
        await self.leave(conn.user_id, REASON_LEFT)

    async def leave(self, user_id: str, reason: str, *, only_if_offline: bool = False) -> None:
        left = await self.store.leave(user_id, reason, only_if_offline=only_if_offline)
        if left.room_id or not only_if_offline:  # else the user is back: their room stands
            self._forget_partner(user_id)
        observe_sizes(left.waiting, left.rooms)

    async def get_ice_servers(self, conn: Connection, frame: Frame) -> None:
        """The socket's identity is proven by its token, so it gets a TURN credential of its
        own (bound to that token's expiry) whenever TURN_SECRET is set."""
        servers = await ice_servers(self.settings, self.limiter, conn.identity)
        conn.send({"type": "ice_servers", "payload": servers.model_dump(mode="json")})

    def _relaying(self, relay: Relay) -> Handler:
        async def handle(conn: Connection, frame: Frame) -> None:
            await self.relay(conn, frame, relay)

        return handle

    async def relay(self, conn: Connection, frame: Frame, relay: Relay) -> None:
        """To the current partner, checked in the original's order: `to` (optional, but when
        given it must be the partner), then the payload, then whether there is a partner."""
        state = conn.state
        partner: str | None = state.get(PARTNER)
        target = frame.get("to")
        if target is not None and target != partner:
            raise bad_request(
                "'to' must be your current partner's user id", code="not_your_partner"
            )
        payload = frame.get("payload")
        relay.check(payload)
        if partner is None:
            if relay.no_partner is not None:
                raise bad_request(relay.no_partner, code="no_partner")
            return
        await self.gateway.send_to_user(
            partner,
            {
                "type": relay.sends,
                "payload": relay.payload(payload, conn.user_id, state[ROOM]),
                "from": conn.user_id,
                "to": partner,
            },
        )

    async def user_gone(self, user_id: str, reason: str) -> None:
        """A closed last socket leaves at once; a dead worker's user (the janitor) only if they
        have not come back on a live worker meanwhile (`MatchStore.leave`)."""
        if reason == REASON_DISCONNECTED:
            await self.leave(user_id, REASON_LEFT)
        else:
            await self.leave(user_id, REASON_LOST, only_if_offline=True)


def remember_partner(conn: Connection, frame: Frame) -> None:
    payload = frame.get("payload") or {}
    conn.state[PARTNER] = payload.get("partner_id")
    conn.state[ROOM] = payload.get("room_id")


def forget_ended_room(conn: Connection, frame: Frame) -> None:
    if conn.state.get(ROOM) == (frame.get("payload") or {}).get("room_id"):
        conn.state.pop(PARTNER, None)
        conn.state.pop(ROOM, None)
