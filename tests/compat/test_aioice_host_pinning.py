"""The private aioice/aiortc ICE hooks: version pins, the names used, pinned host candidates.

Fails loudly when aioice or aiortc changes: the pinned releases, the module-level names the
gatherer calls, the shape of the method it replaces and the per-connection attributes it reads
(through aiortc's private `RTCIceGatherer._connection`) are all checked here.
"""

from __future__ import annotations

import inspect
import socket

import aioice
import aioice.ice
import aiortc
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import SessionDescription

import app.compat
from app.compat import UnsupportedVersion, pin
from app.compat.aioice_host_pinning import (
    CONNECTION_ATTRS,
    GATHERER_PARAMETERS,
    ICE_PRIVATE_NAMES,
    SUPPORTED_AIOICE,
    SUPPORTED_AIORTC,
    IcePolicy,
    apply_ice_policy,
    check_private_api,
)
from app.media.engine.ice import rtc_configuration
from tests.media.peers import ClientPeer, SineTrack, wait_for


def test_aioice_version_is_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    assert aioice.__version__.startswith("0.13.")
    assert aioice.__version__.startswith(SUPPORTED_AIOICE)
    assert aiortc.__version__.startswith(SUPPORTED_AIORTC)
    pin("aioice", SUPPORTED_AIOICE, "test")
    check_private_api()
    for version in ("0.14.0", "1.0.0", "x"):
        monkeypatch.setattr(app.compat, "version", lambda name, found=version: found)
        with pytest.raises(UnsupportedVersion):
            pin("aioice", SUPPORTED_AIOICE, "app.compat.aioice_host_pinning")


def test_the_private_names_used_still_exist() -> None:
    for name in ICE_PRIVATE_NAMES:
        assert callable(getattr(aioice.ice, name)), name
    assert isinstance(aioice.turn.UDP_SOCKET_BUFFER_SIZE, int)
    gatherer = aioice.Connection.get_component_candidates
    assert tuple(inspect.signature(gatherer).parameters) == GATHERER_PARAMETERS
    assert inspect.iscoroutinefunction(gatherer)


async def test_each_connection_has_the_attributes_the_gatherer_uses() -> None:
    pc = RTCPeerConnection(rtc_configuration([]))
    try:
        transceiver = pc.addTransceiver("audio")
        gatherer = transceiver.receiver.transport.transport.iceGatherer
        connection = gatherer._connection  # aiortc's private handle on the aioice agent
        assert isinstance(connection, aioice.Connection)
        for name in CONNECTION_ATTRS:
            assert hasattr(connection, name), name
        assert isinstance(connection._protocols, list)
    finally:
        await pc.close()


def test_a_changed_gatherer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    async def get_component_candidates(self: object, component: int) -> list:  # lost arguments
        return []

    monkeypatch.setattr(aioice.Connection, "get_component_candidates", get_component_candidates)
    with pytest.raises(UnsupportedVersion, match="get_component_candidates"):
        check_private_api()
    monkeypatch.undo()
    monkeypatch.delattr(aioice.ice, "candidate_priority")
    with pytest.raises(UnsupportedVersion, match="candidate_priority"):
        check_private_api()


def _candidates(sdp: str) -> list[tuple[str, int, str]]:
    description = SessionDescription.parse(sdp)
    return [(c.ip, c.port, c.type) for m in description.media for c in m.ice_candidates]


async def test_default_policy_leaves_aioice_alone() -> None:
    pc = RTCPeerConnection(rtc_configuration([]))
    pc.addTransceiver("audio")
    assert apply_ice_policy(pc, IcePolicy()) == 0
    await pc.setLocalDescription(await pc.createOffer())
    # aioice's own discovery never offers loopback
    assert all(ip != "127.0.0.1" for ip, _, _ in _candidates(pc.localDescription.sdp))
    await pc.close()


async def test_loopback_pinning_and_port_range_with_a_busy_port() -> None:
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    low = busy.getsockname()[1]
    pcs = []
    try:
        seen = set()
        # Two ports, one busy: every connection must land on the free one; after
        # that one is taken by the first connection, the second finds none.
        for _ in range(2):
            pc = RTCPeerConnection(rtc_configuration([]))
            pcs.append(pc)
            pc.addTransceiver("audio")
            policy = IcePolicy(host_addresses=("127.0.0.1",), udp_ports=(low, low + 1))
            assert apply_ice_policy(pc, policy) == 1
            assert apply_ice_policy(pc, policy) == 0  # idempotent
            await pc.setLocalDescription(await pc.createOffer())
            seen.add(tuple(_candidates(pc.localDescription.sdp)))
        assert ((("127.0.0.1", low + 1, "host"),) in seen) and (() in seen)
    finally:
        busy.close()
        for pc in pcs:
            await pc.close()


async def test_calls_connect_over_pinned_port_range() -> None:
    # A real call whose answerer only uses ports from a range on 127.0.0.1.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    low = probe.getsockname()[1]
    probe.close()
    server = RTCPeerConnection(rtc_configuration([]))
    server.addTransceiver("audio", direction="recvonly")
    client = ClientPeer(SineTrack(seconds=0.5))
    try:
        await server.setRemoteDescription(RTCSessionDescription(await client.offer(), "offer"))
        apply_ice_policy(server, IcePolicy(("127.0.0.1",), (low, low + 20)))
        await server.setLocalDescription(await server.createAnswer())
        [(ip, port, kind)] = _candidates(server.localDescription.sdp)
        assert ip == "127.0.0.1" and low <= port <= low + 20 and kind == "host"
        assert all(ip == "127.0.0.1" for ip, _, _ in _candidates(client.pc.localDescription.sdp))
        await client.accept(server.localDescription.sdp)
        await wait_for(lambda: server.connectionState == "connected", 5.0, "connected")
    finally:
        await client.close()
        await server.close()
