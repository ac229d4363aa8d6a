"""Whose address a request comes from, behind nginx or an ingress.

Behind a proxy every peer address is the proxy's, so a per-address limit keyed on it is one
global bucket. Sanic reads the client's address from the forwarded headers (`PROXIES_COUNT`,
`REAL_IP_HEADER`, `FORWARDED_SECRET`) into `request.remote_addr`, but from any peer: a client
reaching a worker directly could name any address it likes. So Voxhub sets Sanic's settings
from its own (`TRUSTED_PROXIES` and the three above) and, for a peer outside
`TRUSTED_PROXIES`, empties the forwarded information before anything reads it: callers keep
`request.remote_addr or request.ip` and get the client's address or the peer's, never a forged
one.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from sanic import Request, Sanic

from app.config import Settings


def client_address(request: Request) -> str:
    """The client's address for per-address limits: the forwarded one from a trusted proxy,
    else the peer's."""
    return request.remote_addr or request.ip


def install_proxy_trust(app: Sanic, settings: Settings) -> None:
    trusted = settings.trusted_proxies
    app.config.update(
        {
            # Without trusted proxies no X-Forwarded-For or real-ip header is read at all; a
            # `Forwarded` header signed with FORWARDED_SECRET authenticates its proxy by itself.
            "PROXIES_COUNT": settings.proxies_count if trusted else 0,
            "REAL_IP_HEADER": (settings.real_ip_header or None) if trusted else None,
            "FORWARDED_SECRET": settings.forwarded_secret or None,
        }
    )
    if not trusted:
        return

    @lru_cache(maxsize=4096)
    def is_trusted(peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in trusted)

    async def distrust_other_peers(request: Request) -> None:
        if not is_trusted(request.ip):
            request.parsed_forwarded = {}

    # Before every other middleware (request ids, identity, limits) reads an address.
    app.register_middleware(distrust_other_peers, "request", priority=1000)
