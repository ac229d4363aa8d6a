"""Calls relayed by a real coturn (Debian's `turnserver`, REST-API mode, on loopback) with the
credentials Voxhub hands out: an aiortc caller limited to relay candidates reaches the echo
service (`POST /webrtc`) and hears its echo; coturn refuses expired and tampered credentials."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Iterator

import aioice.stun
import httpx
import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy, RTCPeerConnection

from app.auth import issue_token
from app.http.turn import turn_credential
from tests.fixtures.turn_server import TurnServer
from tests.fixtures.voxhub_server import TEST_JWT_SECRET
from tests.media.conftest import MEDIA_ENV, MediaApi
from tests.media.peers import (
    SAMPLE_RATE,
    ClientPeer,
    SineTrack,
    mono_samples,
    tone_ratio,
    wait_for,
)
from tests.turn.conftest import turn_env
from tests.turn.helpers import allocate


@pytest.fixture(scope="module", params=["false", "true"], ids=["host", "media-use-turn"])
def relay_api(turn_server: TurnServer, request: pytest.FixtureRequest) -> Iterator[MediaApi]:
    """One `voxhub serve` that answers calls itself (embedded), with coturn's secret; its media
    side offers host candidates only, or also a relay of its own (MEDIA_USE_TURN)."""
    server = MediaApi(
        workers=1,
        REDIS_URL="memory://",
        MEDIA_USE_TURN=request.param,
        **MEDIA_ENV,
        **turn_env(turn_server),
    )
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


def relay_only(ice_servers: list[dict]) -> RTCPeerConnection:
    """What a browser builds with `iceTransportPolicy: 'relay'`: aiortc (aioice) then gathers
    no host or server-reflexive candidates, only the TURN allocation's."""
    servers = [RTCIceServer(**server) for server in ice_servers]
    return RTCPeerConnection(
        RTCConfiguration(iceServers=servers, iceTransportPolicy=RTCIceTransportPolicy.RELAY)
    )


async def test_a_relay_only_caller_hears_the_echo_through_coturn(
    relay_api: MediaApi, turn_server: TurnServer
) -> None:
    sub = "relay-caller"
    token = issue_token(TEST_JWT_SECRET, sub, "user", 600)
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=relay_api.url, timeout=20) as http:
        ice = (await http.get("/ice-servers", headers=headers)).json()["iceServers"]
        (turn,) = ice  # no STUN configured: the TURN entry only
        client = ClientPeer(SineTrack(seconds=3.0), pc=relay_only(ice))
        try:
            offer = await client.offer()
            candidates = [line for line in offer.splitlines() if line.startswith("a=candidate")]
            assert candidates and all(" typ relay " in line for line in candidates), offer
            response = await http.post(
                "/webrtc", content=offer, headers={"content-type": "application/sdp", **headers}
            )
            assert response.status_code == 201, response.text
            answer = response.text
            await client.accept(answer)
            await client.wait_sent()
            await wait_for(lambda: len(client.echoed) >= 100, 5.0, "echoed frames")
        finally:
            await client.close()
    echoed = mono_samples(client.echoed)[SAMPLE_RATE // 2 : -SAMPLE_RATE // 4]
    assert tone_ratio(echoed, 440.0) > 100
    log = turn_server.log_text()
    assert f"username=<{turn['username']}>" in log  # coturn saw this very credential...
    assert "ALLOCATE processed, success" in log  # ...and allocated a relay for it
    media_relays = [line for line in answer.splitlines() if " typ relay " in line]
    if relay_api.env["MEDIA_USE_TURN"] == "true":
        # the media side allocated with a credential named after its worker, issued per call
        assert media_relays, answer
        assert re.search(r"username=<\d+:media-[^>]+>", log)
    else:
        assert not media_relays, answer


async def test_coturn_accepts_a_fresh_credential(turn_server: TurnServer) -> None:
    credential = turn_credential(turn_server.secret, "fresh", 60)
    await allocate(turn_server, credential.username, credential.password)


async def test_coturn_refuses_an_expired_credential(turn_server: TurnServer) -> None:
    credential = turn_credential(turn_server.secret, "expiring", 2)
    await allocate(turn_server, credential.username, credential.password)  # valid now
    await asyncio.sleep(max(0.0, credential.expires_at - time.time()) + 1.1)
    with pytest.raises(aioice.stun.TransactionFailed, match="401"):
        await allocate(turn_server, credential.username, credential.password)


async def test_coturn_refuses_a_tampered_credential(turn_server: TurnServer) -> None:
    credential = turn_credential(turn_server.secret, "tampered", 60)
    later = f"{credential.expires_at + 86400}:tampered"  # a longer life, same password
    with pytest.raises(aioice.stun.TransactionFailed, match="401"):
        await allocate(turn_server, later, credential.password)
    other = f"{credential.expires_at}:somebody-else"  # another identity, same password
    with pytest.raises(aioice.stun.TransactionFailed, match="401"):
        await allocate(turn_server, other, credential.password)
    forged = turn_credential("not-the-secret", "tampered", 60)
    with pytest.raises(aioice.stun.TransactionFailed, match="401"):
        await allocate(turn_server, forged.username, forged.password)
