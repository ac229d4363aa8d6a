"""ICE configuration for media workers: explicit servers, host addresses and UDP ports.

``RTCPeerConnection()`` without a configuration uses ``stun.l.google.com``; with egress
blocked, every answer then stalls for seconds waiting for STUN. So the configuration is always
built here from explicit URLs (possibly none). Host candidates are pinned to
``MEDIA_HOST_ADDRESSES`` and ``MEDIA_UDP_PORTS`` by `app.compat.aioice_host_pinning`, the one
module touching aioice/aiortc ICE internals. With ``MEDIA_USE_TURN`` a worker also allocates a
relay on the deployment's coturn, with a credential of its own (`MediaTurn`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from aiortc import RTCConfiguration, RTCIceServer

from app.http.turn import credentials_issued, turn_credential


def parse_port_range(text: str | None) -> tuple[int, int] | None:
    """``"40000-40100"`` -> ``(40000, 40100)``; empty -> ``None`` (ephemeral ports)."""
    if text is None or not text.strip():
        return None
    low_text, sep, high_text = text.strip().partition("-")
    try:
        low = int(low_text)
        high = int(high_text) if sep else low
    except ValueError as exc:
        raise ValueError(f"invalid UDP port range {text!r}, expected LOW-HIGH") from exc
    if not 1 <= low <= high <= 65535:
        raise ValueError(f"invalid UDP port range {text!r}")
    return low, high


def parse_host_addresses(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Comma-separated IP addresses, validated; empty means aioice's discovery."""
    if text is None:
        return ()
    items = text.split(",") if isinstance(text, str) else list(text)
    addresses = []
    for item in items:
        item = item.strip()
        if item:
            addresses.append(str(ipaddress.ip_address(item)))
    return tuple(addresses)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Sequence[str]) -> tuple[Network, ...]:
    """CIDR blocks (`10.0.0.0/8`, `fe80::/10`), validated."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def without_denied_candidates(sdp: str, denied: Sequence[Network]) -> str:
    """The offer without the `a=candidate` lines whose address is in `denied`.

    ICE sends STUN binding requests to every address a caller's candidates name. A media
    worker on the host network would otherwise probe whatever the caller lists (the node's
    private network, the cloud's metadata address) with UDP from inside. A caller behind such
    an address still connects: its packets arrive from its real address, which ICE learns as
    a peer-reflexive candidate. Hostnames (mDNS `.local`) are left to aioice, which does not
    resolve them."""
    if not denied:
        return sdp
    kept = []
    for line in sdp.splitlines(keepends=True):
        if line.startswith("a=candidate:"):
            parts = line.split()
            try:
                address = ipaddress.ip_address(parts[4]) if len(parts) > 4 else None
            except ValueError:
                address = None
            if address is not None and any(address in network for network in denied):
                continue
        kept.append(line)
    return "".join(kept)


def ice_servers(
    stun_urls: Sequence[str] = (),
    turn_url: str | None = None,
    turn_username: str | None = None,
    turn_password: str | None = None,
) -> list[RTCIceServer]:
    """The explicit server list; an empty list means host candidates only."""
    servers = [RTCIceServer(urls=url) for url in stun_urls if url]
    if turn_url:
        servers.append(
            RTCIceServer(urls=turn_url, username=turn_username, credential=turn_password)
        )
    return servers


@dataclass(frozen=True, slots=True)
class MediaTurn:
    """A media worker's own TURN access (MEDIA_USE_TURN): for a worker whose host addresses the
    callers cannot reach (behind NAT, in a cluster network), its relay candidate is.

    The credential is issued per call, in the same REST-API scheme as the clients' and named
    after the worker, so that coturn's logs and quotas tell workers apart and a credential
    issued at start-up cannot expire under a worker that runs for days."""

    secret: str
    urls: tuple[str, ...]
    ttl: float
    name: str

    def server(self) -> RTCIceServer:
        credential = turn_credential(self.secret, self.name, self.ttl)
        credentials_issued.labels("media").inc()
        return RTCIceServer(
            urls=list(self.urls), username=credential.username, credential=credential.password
        )


def rtc_configuration(servers: Sequence[RTCIceServer]) -> RTCConfiguration:
    """An ``RTCConfiguration`` whose ``iceServers`` is never ``None``.

    ``None`` is what makes aiortc fall back to Google's public STUN server.
    """
    return RTCConfiguration(iceServers=list(servers))
