"""`GET /ws`: the WebSocket endpoint shared by the random chat, roulette and the messenger."""

from __future__ import annotations

import asyncio
import logging
import uuid

from sanic import Blueprint, HTTPResponse, Request
from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.exceptions import ConnectionClosed

from app.auth import Identity, Role, TokenError, decode_token, issue_token
from app.auth.revocation import Revocations
from app.config import Settings
from app.errors import DomainError
from app.http.bodies import ErrorBody, document
from app.http.errors import error_response
from app.http.ice_servers import session_ice_servers
from app.http.proxies import client_address
from app.ws.admission import RETRY_AFTER_SECONDS, AddressSockets, Admission
from app.ws.connection import (
    CLOSE_POLICY,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHORIZED,
    Connection,
    spawn,
)
from app.ws.gateway import Gateway
from app.ws.metrics import ws_refused
from app.ws.protocol import now_iso, parse_frame

log = logging.getLogger("voxhub.ws")

# Ways to present a token other than `?token=` (which lands in access logs): offer the
# subprotocols `voxhub` and `bearer.<jwt>` (the server selects `voxhub`), or connect with
# `?auth=frame` and send `{"type": "auth", "payload": {"token": "<jwt>"}}` first.
SUBPROTOCOL = "voxhub"
BEARER_SUBPROTOCOL_PREFIX = "bearer."
AUTH_FRAME_TIMEOUT = 10.0

DESCRIPTION = (
    "Connect with a token or without one (an anonymous user is created). A token goes in the "
    "subprotocols (offer `voxhub` and `bearer.<jwt>`), in a first frame "
    '(`?auth=frame`, then `{"type": "auth", "payload": {"token": "<jwt>"}}` within 10 s), or '
    "as `?token=<jwt>` (kept for existing clients; it shows up in access logs). "
    'The first frame is always `{"type": "session", "payload": {"user_id", "token", "role", '
    '"worker", "ice_servers"}}`; `ice_servers` is the `RTCConfiguration.iceServers` list (a TURN '
    "credential of the user's own when TURN_SECRET is set and the issuance limit allows). "
    "Client frames are JSON objects with a `type`; bad input is answered with "
    '`{"type": "error", "payload": {"code", "message"}}`. Close codes: 4001 invalid token, '
    "1009 frame too large, 1013 worker full, 4408 silent for CONNECTION_TIMEOUT (neither a "
    "frame nor a Pong to the protocol Ping sent every HEARTBEAT_INTERVAL), "
    "1008 too slow to read, past WS_ANONYMOUS_PER_MINUTE new anonymous sockets from one address, "
    "or WS_OVER_LIMIT_CLOSE frames in a row over the rate limit, 1001 server shutting down. "
    "Past the worker's CONNECT_RATE the upgrade is refused with 503 and `Retry-After`, past "
    "WS_SOCKETS_PER_ADDRESS open sockets from one address with 429; reconnect with jittered "
    "back-off."
)


def subprotocol_token(request: Request) -> str:
    """The `<jwt>` of an offered `bearer.<jwt>` subprotocol (browsers cannot set headers on a
    WebSocket, but they can offer subprotocols), or ''."""
    for offered in request.headers.get("sec-websocket-protocol", "").split(","):
        offered = offered.strip()
        if offered.startswith(BEARER_SUBPROTOCOL_PREFIX):
            return offered[len(BEARER_SUBPROTOCOL_PREFIX) :]
    return ""


def verify(settings: Settings, token: str) -> tuple[Identity, str] | None:
    try:
        return decode_token(settings.jwt_secret, token), token
    except TokenError:
        return None


def identify(settings: Settings, request: Request) -> tuple[Identity, str] | None:
    """The caller from `?token=`, a `bearer.<jwt>` subprotocol or a Bearer header.
    None: a token was given and is invalid."""
    token = request.args.get("token") or subprotocol_token(request)
    if token:
        return verify(settings, token)
    header_identity: Identity | None = getattr(request.ctx, "identity", None)
    if header_identity is not None:  # already verified by the auth middleware
        return header_identity, request.headers["authorization"].partition(" ")[2].strip()
    return None


def presents_token(request: Request) -> bool:
    return (
        bool(request.args.get("token") or subprotocol_token(request))
        or "authorization" in request.headers
    )


async def first_frame_token(ws: WebsocketImplProtocol) -> str:
    """The token of an `auth` frame sent first (`?auth=frame`), or '' when none came in time."""
    try:
        raw = await ws.recv(timeout=AUTH_FRAME_TIMEOUT)  # None when it timed out
        frame = parse_frame(raw) if raw is not None else {}
    except (ConnectionClosed, DomainError):
        return ""
    payload = frame.get("payload")
    token = payload.get("token") if isinstance(payload, dict) else frame.get("token")
    return token if frame.get("type") == "auth" and isinstance(token, str) else ""


def new_anonymous(settings: Settings) -> tuple[Identity, str]:
    sub = str(uuid.uuid4())
    token = issue_token(settings.jwt_secret, sub, Role.ANON, settings.anon_token_ttl)
    return decode_token(settings.jwt_secret, token), token


def websocket_blueprint(
    gateway: Gateway, settings: Settings, revocations: Revocations
) -> Blueprint:
    bp = Blueprint("ws")
    admission = Admission(settings.connect_rate)
    sockets = AddressSockets(settings.ws_sockets_per_address)

    @bp.on_request
    async def admit(request: Request) -> HTTPResponse | None:
        """Before the upgrade: past this worker's connect rate, come back in a second; past
        the address's open sockets, once one of them closed."""
        if sockets.full(client_address(request)):
            ws_refused.labels("address").inc()
            return error_response(
                429, "too many open sockets from your address", {"Retry-After": "60"}
            )
        if admission.admit():
            return None
        ws_refused.labels("connect_rate").inc()
        return error_response(
            503,
            "too many new connections; retry shortly",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    async def anonymous_allowed(address: str) -> bool:
        """A new anonymous user is a fresh frame budget: counted per address, across workers."""
        try:
            key = f"ws:anonymous:{address}"
            return await gateway.limiter.allow_exact(key, settings.ws_anonymous_per_minute)
        except DomainError:  # Redis down: the socket could not work anyway
            return False

    @bp.websocket("/ws", subprotocols=[SUBPROTOCOL])
    @document(
        "Realtime gateway (WebSocket): random chat signaling, roulette updates, messenger",
        description=DESCRIPTION,
        responses={
            101: "Switching Protocols (WebSocket)",
            426: ErrorBody,  # a plain GET, without the upgrade
            429: ErrorBody,  # past WS_SOCKETS_PER_ADDRESS open sockets from one address
            503: ErrorBody,  # past the worker's CONNECT_RATE, with Retry-After
        },
        public=True,
        tag="ws",
    )
    async def websocket(request: Request, ws: WebsocketImplProtocol) -> None:
        address = client_address(request)
        sockets.opened(address)
        try:
            await serve(request, ws, address)
        finally:
            sockets.closed(address)

    async def serve(request: Request, ws: WebsocketImplProtocol, address: str) -> None:
        if request.args.get("auth") == "frame":
            who = verify(settings, await first_frame_token(ws))
            if who is None:
                ws_refused.labels("unauthorized").inc()
                await ws.close(CLOSE_UNAUTHORIZED, "invalid or missing auth frame")
                return
        elif presents_token(request):
            who = identify(settings, request)
            if who is None:
                ws_refused.labels("unauthorized").inc()
                await ws.close(CLOSE_UNAUTHORIZED, "invalid token")
                return
        elif await anonymous_allowed(address):
            who = new_anonymous(settings)
        else:
            ws_refused.labels("anonymous_rate").inc()
            await ws.close(CLOSE_POLICY, "too many new sessions; reconnect with your token")
            return
        # An anonymous token names no account and is never revoked: a reconnect storm of
        # anonymous users costs no Redis round trip each.
        if who[0].role is not Role.ANON and await revocations.is_revoked(who[0]):
            ws_refused.labels("unauthorized").inc()
            await ws.close(CLOSE_UNAUTHORIZED, "token revoked")
            return
        if gateway.full:
            ws_refused.labels("capacity").inc()
            await ws.close(CLOSE_TRY_AGAIN, f"server at capacity, retry in {RETRY_AFTER_SECONDS} s")
            return
        identity, token = who
        conn = Connection(ws, identity)
        session = {
            "type": "session",
            "payload": {
                "user_id": identity.sub,
                "token": token,
                "role": identity.role.value,
                "worker": gateway.worker_id,
                "ice_servers": [
                    server.model_dump(mode="json")
                    for server in await session_ice_servers(settings, gateway.limiter, identity)
                ],
            },
            "timestamp": now_iso(),
        }
        # Greeted at once, unless connect hooks must enrol the socket first; frames it gets
        # meanwhile wait, so that `session` is always its first frame.
        greet_late = gateway.greets_after_connect_hooks
        if greet_late:
            conn.hold()
        else:
            conn.send(session)
        try:
            await gateway.attach(conn)
        except Exception as exc:  # Redis too slow for this storm: the client retries later
            log.warning("socket of %s not attached, asked to retry: %s", identity.sub, exc)
            ws_refused.labels("busy").inc()
            await gateway.detach(conn)
            await ws.close(CLOSE_TRY_AGAIN, f"server busy, retry in {RETRY_AFTER_SECONDS} s")
            return
        if greet_late:
            conn.release(session)
        try:
            while not conn.closed:
                raw = await ws.recv()
                if raw is None:
                    break
                await gateway.handle(conn, raw)
        except ConnectionClosed:
            pass
        finally:
            # Sanic cancels this handler when the peer's close frame or EOF arrives; cleanup
            # runs in its own task so that the cancellation cannot cut it short.
            await asyncio.shield(spawn(gateway.detach(conn)))

    return bp
