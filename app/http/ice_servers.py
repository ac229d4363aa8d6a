"""The ICE servers browsers are told to use, built from the settings in one place.

Seed 004's clients fetch the list (`get_ice_servers` on /ws, `GET /ice-servers`) and hand it
to `RTCPeerConnection` as is, so its shape is the WebRTC one: `{"iceServers": [{"urls": [...],
"username"?, "credential"?}]}`. It lives here, below the domains, because the random chat
serves it today and the media domain can serve the same list; it reads settings only.
Time-limited TURN credentials (coturn's REST-API scheme) belong in `ice_servers`: every caller
then hands them out without changing.
"""

from __future__ import annotations

from pydantic import Field

from app.config import Settings
from app.http.bodies import Body


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


def ice_servers(settings: Settings) -> IceServers:
    """All STUN URLs as one entry, then the TURN server with its credentials; nothing
    configured gives an empty list (no public servers are added behind the operator's back)."""
    servers: list[IceServer] = []
    if settings.stun_servers:
        servers.append(IceServer(urls=list(settings.stun_servers)))
    if settings.turn_url:
        servers.append(
            IceServer(
                urls=[settings.turn_url],
                username=settings.turn_username or None,
                credential=settings.turn_password or None,
            )
        )
    return IceServers(iceServers=servers)
