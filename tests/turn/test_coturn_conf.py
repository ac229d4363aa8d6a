"""The shipped deploy/coturn/turnserver.conf runs on Debian's real turnserver (only addresses,
ports, the secret and file paths overridden for loopback) and enforces what it promises:
Voxhub's credentials accepted, forged ones refused, the per-user allocation quota."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aioice.stun
import pytest

from app.http.turn import turn_credential
from tests.fixtures.turn_server import TurnServer
from tests.turn.helpers import allocate, open_allocation

CONF = Path(__file__).resolve().parents[2] / "deploy" / "coturn" / "turnserver.conf"


def conf_values(name: str) -> list[str]:
    lines = [line.strip() for line in CONF.read_text().splitlines()]
    return [line.partition("=")[2] for line in lines if line.partition("=")[0] == name]


@pytest.fixture(scope="module")
def shipped() -> Iterator[TurnServer]:
    server = TurnServer(config=CONF)
    server.start()
    yield server
    server.close()


def test_the_conf_uses_the_rest_api_scheme_without_the_secret() -> None:
    text = CONF.read_text()
    assert "\nuse-auth-secret\n" in text
    assert not conf_values("static-auth-secret")  # from the secret store, never the file
    assert "127.0.0.0-127.255.255.255" in conf_values("denied-peer-ip")
    assert "10.0.0.0-10.255.255.255" in conf_values("denied-peer-ip")
    assert conf_values("user-quota") and conf_values("total-quota")
    assert "\nprometheus\n" in text


async def test_the_shipped_conf_accepts_voxhub_credentials_only(shipped: TurnServer) -> None:
    credential = turn_credential(shipped.secret, "conf-user", 60)
    await allocate(shipped, credential.username, credential.password)
    forged = turn_credential("another-secret", "conf-user", 60)
    with pytest.raises(aioice.stun.TransactionFailed, match="401"):
        await allocate(shipped, forged.username, forged.password)
    assert "realm <voxhub>" in shipped.log_text()


async def test_the_shipped_conf_caps_allocations_per_user(shipped: TurnServer) -> None:
    (quota,) = conf_values("user-quota")
    credential = turn_credential(shipped.secret, "greedy", 60)
    transports = []
    try:
        for _ in range(int(quota)):
            transports.append(
                await open_allocation(shipped, credential.username, credential.password)
            )
        with pytest.raises(aioice.stun.TransactionFailed, match="486"):
            await allocate(shipped, credential.username, credential.password)
    finally:
        for transport in transports:
            transport.close()
