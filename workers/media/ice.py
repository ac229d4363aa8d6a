"""ICE configuration for media workers: explicit servers, pinned host candidates.

Two problems with aiortc's defaults in a server:

* ``RTCPeerConnection()`` without a configuration uses ``stun.l.google.com``; with
  egress blocked, every answer then stalls for seconds waiting for STUN. So the
  configuration is always built here from explicit URLs (possibly none).
* aioice 0.13 offers host candidates on every interface except loopback, from an
  ephemeral UDP port. In a container we must advertise a chosen address (the
  pod/node IP, or 127.0.0.1 in tests) and use a published port range.
  aioice has no option for either, so :func:`apply_ice_policy` replaces
  ``get_component_candidates`` on each of a peer connection's aioice
  ``Connection`` instances (never process-wide: other peer connections in the
  same process, e.g. a test client, keep their own policy). This is the only
  module touching aioice/aiortc ICE internals; :data:`SUPPORTED_AIOICE` pins them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import aioice
import aioice.ice
import aioice.turn
from aioice import Candidate, TransportPolicy
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection

log = logging.getLogger("voxhub.media")

SUPPORTED_AIOICE: Final = ((0, 13),)
_PINNED_ATTR: Final = "_voxhub_ice_policy"


class UnsupportedAioiceVersion(RuntimeError):
    """The installed aioice is not one whose candidate gathering we verified."""


def check_aioice_version(version: str | None = None) -> None:
    """Refuse aioice releases whose private gathering code was not read."""
    version = aioice.__version__ if version is None else version
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError as exc:
        raise UnsupportedAioiceVersion(f"cannot parse aioice version {version!r}") from exc
    if (major, minor) not in SUPPORTED_AIOICE:
        raise UnsupportedAioiceVersion(
            f"aioice {version} is not supported by workers.media.ice (verified: "
            + ", ".join(f"{a}.{b}.x" for a, b in SUPPORTED_AIOICE)
            + ")"
        )
    for name in (
        "StunProtocol",
        "server_reflexive_candidate",
        "candidate_foundation",
        "candidate_priority",
    ):
        if not hasattr(aioice.ice, name):
            raise UnsupportedAioiceVersion(f"aioice.ice.{name} is missing")


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


def rtc_configuration(servers: Sequence[RTCIceServer]) -> RTCConfiguration:
    """An ``RTCConfiguration`` whose ``iceServers`` is never ``None``.

    ``None`` is what makes aiortc fall back to Google's public STUN server.
    """
    return RTCConfiguration(iceServers=list(servers))


@dataclass(frozen=True)
class IcePolicy:
    """Where host candidates may live.

    ``host_addresses`` empty: aioice's own interface discovery (no loopback).
    ``udp_ports`` ``None``: ephemeral ports.
    """

    host_addresses: tuple[str, ...] = ()
    udp_ports: tuple[int, int] | None = None

    @property
    def is_default(self) -> bool:
        return not self.host_addresses and self.udp_ports is None


def apply_ice_policy(pc: RTCPeerConnection, policy: IcePolicy) -> int:
    """Apply ``policy`` to every ICE agent ``pc`` currently has.

    Call after ``setRemoteDescription`` (answerer) or after adding transceivers
    (offerer), and before ``setLocalDescription``, which gathers candidates.
    Returns the number of agents configured.
    """
    if policy.is_default:
        return 0
    check_aioice_version()
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    count = 0
    for dtls in transports:
        connection = dtls.transport.iceGatherer._connection
        if getattr(connection, _PINNED_ATTR, None) is not None:
            continue
        original = connection.get_component_candidates
        connection.get_component_candidates = types.MethodType(
            _make_gatherer(policy, original), connection
        )
        setattr(connection, _PINNED_ATTR, policy)
        count += 1
    return count


def _make_gatherer(policy: IcePolicy, original: Any) -> Any:
    async def get_component_candidates(
        self: aioice.Connection,
        component: int,
        addresses: list[str],
        timeout: int = 5,  # noqa: ASYNC109 - aioice's own signature
    ) -> list[Candidate]:
        # The relay-only policy gathers no host candidates; keep that rule.
        if self._transport_policy != TransportPolicy.ALL:
            hosts: list[str] = []
        else:
            hosts = list(policy.host_addresses) or addresses
        if policy.udp_ports is None:
            return list(await original(component=component, addresses=hosts, timeout=timeout))
        return await _gather_in_port_range(
            self, original, component, hosts, policy.udp_ports, timeout
        )

    return get_component_candidates


async def _bind_in_range(
    connection: aioice.Connection, address: str, ports: tuple[int, int]
) -> aioice.ice.StunProtocol | None:
    """Bind a UDP socket for ICE on ``address`` at a free port in ``ports``.

    Ports are tried from a random starting point so that concurrent calls rarely
    collide; a busy port (EADDRINUSE) just moves on to the next.
    """
    loop = asyncio.get_running_loop()
    low, high = ports
    span = high - low + 1
    start = random.randrange(span)
    for offset in range(span):
        port = low + (start + offset) % span
        try:
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: aioice.ice.StunProtocol(connection), local_addr=(address, port)
            )
        except OSError:
            continue
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, aioice.turn.UDP_SOCKET_BUFFER_SIZE)
        return protocol
    log.warning("no free UDP port in %d-%d on %s for ICE", low, high, address)
    return None


async def _gather_in_port_range(
    connection: aioice.Connection,
    original: Any,
    component: int,
    hosts: list[str],
    ports: tuple[int, int],
    timeout: int,  # noqa: ASYNC109 - passed through to aioice
) -> list[Candidate]:
    """aioice's ``get_component_candidates`` with host sockets bound in ``ports``.

    Host candidates are built exactly as aioice 0.13 builds them; server-reflexive
    ones use aioice's own STUN query; the TURN relay candidate comes from aioice's
    original method called with no host addresses.
    """
    candidates: list[Candidate] = []
    protocols = []
    for address in hosts:
        protocol = await _bind_in_range(connection, address, ports)
        if protocol is None:
            continue
        host, port = protocol.transport.get_extra_info("sockname")[:2]
        protocol.local_candidate = Candidate(
            foundation=aioice.ice.candidate_foundation("host", "udp", host),
            component=component,
            transport="udp",
            priority=aioice.ice.candidate_priority(component, "host"),
            host=host,
            port=port,
            type="host",
        )
        candidates.append(protocol.local_candidate)
        protocols.append(protocol)
    connection._protocols += protocols

    tasks = []
    if connection.stun_server:
        for protocol in protocols:
            if ipaddress.ip_address(protocol.local_candidate.host).version == 4:
                tasks.append(
                    asyncio.create_task(
                        aioice.ice.server_reflexive_candidate(protocol, connection.stun_server)
                    )
                )
    relay_task = (
        asyncio.create_task(original(component=component, addresses=[], timeout=timeout))
        if connection.turn_server
        else None
    )
    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in done:
            if task.exception() is None:
                candidate, _ = task.result()
                candidates.append(candidate)
        for task in pending:
            task.cancel()
    if relay_task is not None:
        candidates.extend(await relay_task)
    return candidates
