"""The ICE servers browsers are told to use, built from the settings in one place.

Seed 004's clients fetch the list (`get_ice_servers` on /ws, `GET /ice-servers`) and hand it
to `RTCPeerConnection` as is, so its shape is the WebRTC one: `{"iceServers": [{"urls": [...],
"username"?, "credential"?}]}`. It lives here, below the domains, because the random chat and
the HTTP routes serve the same list.

With `TURN_SECRET`, the TURN entry carries a credential of the caller's own (see `app.http.turn`):
issued only to an identified caller (anonymous HTTP callers get STUN only unless
`TURN_FOR_ANONYMOUS`), rate-limited per identity, and never valid past TURN_TTL nor the
caller's token. Without it, the static `TURN_URL` pair is served as seed 004 did: that pair is
public by nature, so it is not withheld from anyone.
"""

from __future__ import annotations

import uuid

from pydantic import Field

from app.auth import Identity, Role
from app.bus.ratelimit import RateLimiter
from app.config import Settings
from app.errors import DomainError, too_many
from app.http.bodies import Body
from app.http.turn import credentials_issued, turn_credential

RETRY_AFTER_SECONDS = 60  # the limit is per minute


def _absent(value: str | None) -> bool:
    return value is None


class IceServer(Body):
    """One `RTCIceServer`; a credential the deployment does not set is left out, not null."""

    urls: list[str]
    username: str | None = Field(default=None, exclude_if=_absent)
    credential: str | None = Field(default=None, exclude_if=_absent)


class IceServers(Body):
    """The `RTCConfiguration.iceServers` a client passes to its peer connection."""

    iceServers: list[IceServer]  # the WebRTC name, which the clients read as is


def _stun(settings: Settings) -> list[IceServer]:
    """All STUN URLs as one entry; none configured gives none (no public servers are added
    behind the operator's back)."""
    return [IceServer(urls=list(settings.stun_servers))] if settings.stun_servers else []


def _static_turn(settings: Settings) -> list[IceServer]:
    if not settings.turn_url:
        return []
    credentials_issued.labels("static").inc()
    return [
        IceServer(
            urls=[settings.turn_url],
            username=settings.turn_username or None,
            credential=settings.turn_password or None,
        )
    ]


def _time_limited_turn(settings: Settings, identity: Identity) -> IceServer:
    credential = turn_credential(
        settings.turn_secret, identity.sub, settings.turn_ttl, not_after=identity.expires_at
    )
    credentials_issued.labels("user").inc()
    return IceServer(
        urls=list(settings.turn_urls), username=credential.username, credential=credential.password
    )


async def ice_servers(
    settings: Settings, limiter: RateLimiter, identity: Identity | None, address: str = ""
) -> IceServers:
    """The list for `identity`, or for an anonymous HTTP caller at `address` (identity None).

    A time-limited credential counts against TURN_CREDENTIALS_PER_MINUTE for its identity (an
    anonymous caller: for its address): a client asks once per call, so more is a script
    harvesting relay credentials (429). An anonymous caller allowed TURN (TURN_FOR_ANONYMOUS)
    is named by a random id, so coturn's per-user quota applies per credential."""
    servers = _stun(settings)
    if not settings.turn_secret:
        return IceServers(iceServers=servers + _static_turn(settings))
    if identity is None:
        if not settings.turn_for_anonymous:
            return IceServers(iceServers=servers)
        key = f"turn:ip:{address}"
        identity = Identity(sub=f"anonymous-{uuid.uuid4().hex}", role=Role.ANON)
    else:
        key = f"turn:{identity.sub}"
    if not await limiter.allow_exact(key, settings.turn_credentials_per_minute):
        raise too_many("too many TURN credential requests; retry later", RETRY_AFTER_SECONDS)
    return IceServers(iceServers=[*servers, _time_limited_turn(settings, identity)])


async def session_ice_servers(
    settings: Settings, limiter: RateLimiter, identity: Identity
) -> list[IceServer]:
    """The list a socket's `session` frame carries, so a client can start a call without
    asking first. Every (re)connect counts against the same issuance limit, so a reconnect
    storm cannot harvest more credentials than asking would; but a refused credential (over
    the limit, Redis down) must not refuse the socket: it gets the list without TURN and can
    ask again with `get_ice_servers` once the limit allows."""
    try:
        return (await ice_servers(settings, limiter, identity)).iceServers
    except DomainError:
        return _stun(settings)
