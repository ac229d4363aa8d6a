"""What the random-chat tests share: /stats, pairing two sockets, and SDPs real browsers send."""

from __future__ import annotations

import asyncio

import httpx

from tests.fixtures.voxhub_server import VoxhubServer
from tests.ws.client import WsClient

# An audio-only offer and answer as Chromium writes them (fingerprints shortened).
OFFER_SDP = (
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS 5d7c0f3e\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Qx2b\r\n"
    "a=ice-pwd:4mNqsYbC0h4pSbNQ1xkVyTuW\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
)
ANSWER_SDP = OFFER_SDP.replace("a=setup:actpass", "a=setup:active").replace(
    "4611731400430051336", "7230156120548217301"
)
CANDIDATE = {
    "candidate": "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx "
    "raddr 0.0.0.0 rport 0 generation 0 ufrag Qx2b network-cost 999",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "Qx2b",
}


async def stats(server: VoxhubServer) -> dict:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/stats")
    assert response.status_code == 200
    return response.json()


async def settled(server: VoxhubServer, waiting: int, active: int, rooms: int) -> dict:
    """/stats once it shows these counts (sockets leave the pool and presence a bit after
    they close); fails with the last numbers seen."""
    wanted = (waiting, active, rooms)
    for _ in range(100):
        now = await stats(server)
        if (now["waiting_users"], now["active_users"], now["active_rooms"]) == wanted:
            return now
        await asyncio.sleep(0.05)
    raise AssertionError(f"/stats never showed {wanted}: {now}")


async def pair(waiter: WsClient, finder: WsClient) -> tuple[dict, dict]:
    """`waiter` waits, `finder` completes the pair: (waiter's, finder's) match_found payload."""
    await waiter.send({"type": "find_match", "payload": {}})
    waiting = await waiter.expect("waiting")
    assert waiting["payload"] == {"status": "Looking for a partner..."}
    await finder.send({"type": "find_match", "payload": {}})
    return (await waiter.expect("match_found"))["payload"], (await finder.expect("match_found"))[
        "payload"
    ]
