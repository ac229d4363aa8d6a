"""What one caller can take of the media workers and the recordings disk (issue 18, item 6),
against real `voxhub serve` and media worker processes, real Redis and PostgreSQL, and real
aiortc callers on loopback: offers per minute per address and per identity, the longest
call, a call that never connects, the largest recording, and how long recordings are kept."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer
from tests.media.conftest import MEDIA_ENV, MediaApi, WorkerPool
from tests.media.peers import ClientPeer, SineTrack, call_with_tone
from tests.media.test_media_service import bearer, conversation, poster, wait_state

PER_MINUTE = 3


@pytest.fixture(scope="module")
def limited_api(redis_server: RedisServer, postgres_server: PostgresServer) -> Iterator[MediaApi]:
    """Its own Redis database, so that only this module's offers count."""
    server = MediaApi(
        workers=2,
        REDIS_URL=redis_server.url.replace("/0", "/11"),
        DATABASE_URL=postgres_server.create_database(),
        **{**MEDIA_ENV, "MEDIA_OFFERS_PER_MINUTE": str(PER_MINUTE)},
    )
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


def _from(address: str, api: MediaApi) -> httpx.AsyncClient:
    """A client whose connections come from `address` (any 127.x.y.z is loopback)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=api.url, transport=transport, timeout=20)


async def _offer(http: httpx.AsyncClient, headers: dict[str, str] | None = None) -> int:
    """POST /webrtc with a real offer; no media worker runs here, so an admitted offer gets
    503 and a limited one 429."""
    client = ClientPeer(SineTrack())
    try:
        response = await http.post(
            "/webrtc",
            content=await client.offer(),
            headers={"content-type": "application/sdp", **(headers or {})},
        )
    finally:
        await client.close()
    if response.status_code == 429:
        assert int(response.headers["retry-after"]) > 0 and response.json()["error"]
    return response.status_code


async def test_offers_are_limited_per_address_and_per_identity(limited_api: MediaApi) -> None:
    async with _from("127.0.0.1", limited_api) as first:
        assert [await _offer(first) for _ in range(PER_MINUTE)] == [503] * PER_MINUTE
        assert await _offer(first) == 429
    caller = bearer("4242")
    async with _from("127.0.0.2", limited_api) as second:
        assert [await _offer(second, caller) for _ in range(PER_MINUTE)] == [503] * PER_MINUTE
    async with _from("127.0.0.3", limited_api) as third:
        # The same identity from a fresh address is still limited; the address is not.
        assert await _offer(third, caller) == 429
        assert await _offer(third) == 503


async def _call(
    http: httpx.AsyncClient, seconds: float, headers: dict[str, str] | None = None
) -> tuple[ClientPeer, str]:
    """A connected call sending a tone for `seconds` (not awaited), and its conversation id."""
    client = ClientPeer(SineTrack(seconds=seconds))
    response = await http.post(
        "/webrtc",
        content=await client.offer(),
        headers={"content-type": "application/sdp", **(headers or {})},
    )
    assert response.status_code == 201, response.text
    await client.accept(response.text)
    return client, response.headers["x-conversation-id"]


async def test_a_call_ends_at_media_max_call_seconds(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    media_workers.start(MEDIA_MAX_CALL_SECONDS="2s")
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        client, conversation_id = await _call(http, 20.0)
        try:
            row = await wait_state(http, conversation_id, {"ended", "failed"}, 10.0)
        finally:
            await client.close()
    assert (row["state"], row["end_reason"]) == ("ended", "max_duration")
    assert row["duration"] < 5


async def test_an_answered_offer_that_never_connects_frees_its_slot(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    media_workers.start(MEDIA_CONNECT_TIMEOUT="1s", MEDIA_MAX_CALLS="1")
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        client = ClientPeer(SineTrack())
        try:
            response = await http.post(
                "/webrtc", content=await client.offer(), headers={"content-type": "application/sdp"}
            )
            assert response.status_code == 201
            # The caller never applies the answer: nothing ever connects.
            row = await wait_state(
                http, response.headers["x-conversation-id"], {"ended", "failed"}, 10.0
            )
        finally:
            await client.close()
        assert (row["state"], row["end_reason"]) == ("failed", "not_connected")
        assert row["duration"] < 4  # before MEDIA_INACTIVITY_TIMEOUT (5 s)
        # The only slot is free again.
        second = ClientPeer(SineTrack())
        try:
            again = await http.post(
                "/webrtc", content=await second.offer(), headers={"content-type": "application/sdp"}
            )
        finally:
            await second.close()
        assert again.status_code == 201, again.text


async def test_a_call_ends_when_its_recording_reaches_recording_max_bytes(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    media_workers.start(RECORDING_MAX_BYTES="6000")
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        client, conversation_id = await _call(http, 20.0)
        try:
            row = await wait_state(http, conversation_id, {"ended", "failed"}, 15.0)
        finally:
            await client.close()
    assert (row["state"], row["end_reason"]) == ("ended", "recording_limit")
    size = (media_api.recordings_dir / conversation_id / "user_audio.ogg").stat().st_size
    assert 6000 <= size < 6000 + 4096  # past the cap by at most the page being written
    assert row["bytes"] == size


async def test_recordings_older_than_the_retention_are_deleted(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    media_workers.start(RECORDING_RETENTION="3s")
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        seen: dict[str, str] = {}
        client = await call_with_tone(poster(http, bearer("1", "admin"), seen), seconds=1.0)
        await client.wait_sent()
        await client.close()
        conversation_id = seen["x-conversation-id"]
        row = await wait_state(http, conversation_id, {"ended", "failed"}, 10.0)
        folder = media_api.recordings_dir / conversation_id
        assert (
            await http.get(row["recording_url"], headers=bearer("1", "admin"))
        ).status_code == 200
        async with asyncio.timeout(15):
            while folder.exists():
                await asyncio.sleep(0.2)
        assert (
            await http.get(row["recording_url"], headers=bearer("1", "admin"))
        ).status_code == 404
        assert (await conversation(http, conversation_id))["state"] == "ended"


def _sections(sdp: str, count: int) -> str:
    """`sdp` with `count - 1` small audio sections after its own, each with its own mid and
    ICE credentials, and no BUNDLE group (so that each could get an ICE transport)."""
    head, section = sdp.split("m=", 1)
    head = "".join(line for line in head.splitlines(keepends=True) if "BUNDLE" not in line)
    fingerprint = next(line for line in section.splitlines() if "fingerprint:sha-256" in line)
    extra = "".join(
        f"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:{n}\r\n"
        f"a=ice-ufrag:u{n:04d}\r\na=ice-pwd:{n:022d}\r\n{fingerprint}\r\n"
        "a=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
        for n in range(1, count)
    )
    return head + "m=" + section + extra


async def test_an_offer_with_hundreds_of_sections_is_refused(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    """Issue 18, to check: each section may take UDP ports from MEDIA_UDP_PORTS."""
    media_workers.start()
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        client = ClientPeer(SineTrack())
        try:
            offer = _sections(await client.offer(), 200)
        finally:
            await client.close()
        response = await http.post(
            "/webrtc", content=offer, headers={"content-type": "application/sdp"}
        )
        assert response.status_code == 400, response.text
        assert response.json() == {"error": "the offer has 200 media sections; at most 8"}
        assert (await http.get("/health")).json()["active_conversations"] == 0


async def test_no_stun_is_sent_to_a_denied_address_a_caller_names(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    """Issue 18, to check: ICE probes every address a caller's candidates name. A UDP socket
    on 127.0.0.2 stands for a private service; the call still connects on 127.0.0.1."""
    media_workers.start(MEDIA_DENIED_PEER_NETWORKS="127.0.0.2/32")
    loop = asyncio.get_running_loop()
    probes: list[bytes] = []

    class Listener(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            probes.append(data)

    transport, _ = await loop.create_datagram_endpoint(Listener, local_addr=("127.0.0.2", 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
            client = ClientPeer(SineTrack(seconds=2.0))
            try:
                offer = await client.offer()
                bait = f"a=candidate:9 1 udp 2130706431 127.0.0.2 {port} typ host\r\n"
                offer = offer.replace("a=candidate:", bait + "a=candidate:", 1)
                response = await http.post(
                    "/webrtc", content=offer, headers={"content-type": "application/sdp"}
                )
                assert response.status_code == 201, response.text
                await client.accept(response.text)
                await client.wait_sent()
                row = await conversation(http, response.headers["x-conversation-id"])
                assert row["state"] == "active"
            finally:
                await client.close()
    finally:
        transport.close()
    assert probes == []
