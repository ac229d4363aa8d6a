"""Explicit ICE servers and pinned host candidates (address and UDP port range)."""

from __future__ import annotations

import socket

import aioice
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import SessionDescription

from tests.media.peers import ClientPeer, SineTrack, wait_for
from workers.media.ice import (
    IcePolicy,
    UnsupportedAioiceVersion,
    apply_ice_policy,
    check_aioice_version,
    ice_servers,
    parse_host_addresses,
    parse_port_range,
    rtc_configuration,
)


def test_port_range_parsing() -> None:
    assert parse_port_range("40000-40100") == (40000, 40100)
    assert parse_port_range(" 5000 ") == (5000, 5000)
    assert parse_port_range("") is None
    assert parse_port_range(None) is None
    for bad in ("40100-40000", "0-10", "1-70000", "a-b", "1-2-3"):
        with pytest.raises(ValueError):
            parse_port_range(bad)


def test_host_address_parsing() -> None:
    assert parse_host_addresses("127.0.0.1, 10.0.0.5") == ("127.0.0.1", "10.0.0.5")
    assert parse_host_addresses(["::1"]) == ("::1",)
    assert parse_host_addresses("") == ()
    with pytest.raises(ValueError):
        parse_host_addresses("localhost")


def test_configuration_is_always_explicit() -> None:
    # None would make aiortc use stun.l.google.com; an empty list means "no servers".
    assert rtc_configuration([]).iceServers == []
    servers = ice_servers(
        ["stun:stun.internal:3478", ""], "turn:turn.internal:3478", "user", "secret"
    )
    assert [s.urls for s in servers] == ["stun:stun.internal:3478", "turn:turn.internal:3478"]
    assert (servers[1].username, servers[1].credential) == ("user", "secret")
    assert rtc_configuration(servers).iceServers == servers


def test_aioice_version_is_pinned() -> None:
    assert aioice.__version__.startswith("0.13.")
    check_aioice_version()
    for version in ("0.14.0", "1.0.0", "x"):
        with pytest.raises(UnsupportedAioiceVersion):
            check_aioice_version(version)


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
