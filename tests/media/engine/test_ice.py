"""Explicit ICE servers, host addresses and UDP port ranges from the settings."""

from __future__ import annotations

import pytest

from app.media.engine.ice import (
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
