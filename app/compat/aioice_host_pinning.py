"""ICE host candidates and ports restricted to the configured ones (aioice/aiortc internals).

aioice 0.13 offers host candidates on every interface except loopback, from an ephemeral UDP
port. In a container a media worker must advertise a chosen address (the pod/node IP, or
127.0.0.1 in tests) and use a published port range. aioice has no option for either, so
:func:`apply_ice_policy` replaces ``get_component_candidates`` on each of a peer connection's
aioice ``Connection`` instances, reached through aiortc's private ``RTCIceGatherer._connection``
(never process-wide: other peer connections in the same process, e.g. a test client, keep
their own policy). Host candidates in a port range are built as aioice builds them, from its
private ``StunProtocol``, ``candidate_foundation``, ``candidate_priority`` and
``server_reflexive_candidate``.

`pin` names the releases these names were read in; :func:`check_private_api` (run at import)
refuses a release whose module-level names are gone, and tests/compat/test_aioice_host_pinning.py
re-checks them and the per-connection attributes.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import logging
import random
import socket
import types
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

import aioice
import aioice.ice
import aioice.turn
from aioice import Candidate, TransportPolicy
from aiortc import RTCPeerConnection

from app.compat import UnsupportedVersion, pin

SUPPORTED_AIOICE: Final = "0.13."
SUPPORTED_AIORTC: Final = "1.16."
pin("aioice", SUPPORTED_AIOICE, __name__)
pin("aiortc", SUPPORTED_AIORTC, __name__)

log = logging.getLogger("voxhub.media")

ICE_PRIVATE_NAMES: Final = (
    "StunProtocol",
    "server_reflexive_candidate",
    "candidate_foundation",
    "candidate_priority",
)
"""What the port-range gatherer uses from `aioice.ice`."""
GATHERER_PARAMETERS: Final = ("self", "component", "addresses", "timeout")
CONNECTION_ATTRS: Final = ("_transport_policy", "_protocols", "stun_server", "turn_server")
"""The attributes of an aioice `Connection` the gatherer reads or extends."""
_PINNED_ATTR: Final = "_voxhub_ice_policy"

Gatherer = Callable[..., Coroutine[Any, Any, list[Candidate]]]
"""aioice's `Connection.get_component_candidates(component, addresses, timeout)`."""


def check_private_api() -> None:
    """Raise :class:`UnsupportedVersion` unless the module-level names used here exist with
    the shape read here. (Per-connection attributes are checked by the compat test.)"""
    missing = [f"aioice.ice.{name}" for name in ICE_PRIVATE_NAMES if not hasattr(aioice.ice, name)]
    if not hasattr(aioice.turn, "UDP_SOCKET_BUFFER_SIZE"):
        missing.append("aioice.turn.UDP_SOCKET_BUFFER_SIZE")
    gatherer = getattr(aioice.Connection, "get_component_candidates", None)
    if gatherer is None or tuple(inspect.signature(gatherer).parameters) != GATHERER_PARAMETERS:
        missing.append("aioice.Connection.get_component_candidates(component, addresses, timeout)")
    if missing:
        raise UnsupportedVersion(f"{__name__}: missing or changed: {', '.join(missing)}")


check_private_api()


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
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    count = 0
    for dtls in transports:
        connection = dtls.transport.iceGatherer._connection
        if getattr(connection, _PINNED_ATTR, None) is not None:
            continue
        original = connection.get_component_candidates
        # An instance attribute: this connection's method only, never aioice's class.
        gatherer = types.MethodType(_make_gatherer(policy, original), connection)
        connection.get_component_candidates = gatherer  # type: ignore[method-assign]  # per instance, on purpose
        setattr(connection, _PINNED_ATTR, policy)
        count += 1
    return count


def _make_gatherer(policy: IcePolicy, original: Gatherer) -> Gatherer:
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
    original: Gatherer,
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
