"""The media service end to end: API processes, media worker processes, Redis, PostgreSQL.

A real aiortc caller on 127.0.0.1 posts its offer to `POST /webrtc`, the API hands it to a
media worker through Redis, and everything after that (echo, recording, hang-up, worker death)
is observed from outside, as a client or an operator would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid

import asyncpg
import httpx
import pytest

from app.auth.tokens import issue_token
from app.media.engine.ogg_writer import HEADER_TYPE_EOS
from tests.fixtures.voxhub_server import TEST_JWT_SECRET, VOXHUB
from tests.media.conftest import ROOT, MediaApi, WorkerPool
from tests.media.opus_samples import parse_pages
from tests.media.peers import (
    SAMPLE_RATE,
    ClientPeer,
    SineTrack,
    call_with_tone,
    decode_ogg,
    mono_samples,
    tone_ratio,
    wait_for,
)


def token(sub: str, role: str = "user") -> str:
    # SERVICE is made at import (collection): its lifetime covers a whole `make test` run.
    return issue_token(TEST_JWT_SECRET, sub, role, 3600)


def bearer(sub: str, role: str = "user") -> dict[str, str]:
    return {"authorization": f"Bearer {token(sub, role)}"}


SERVICE = bearer("media-tests", "service")


async def create_user(api: MediaApi) -> int:
    connection = await asyncpg.connect(api.env["DATABASE_URL"])
    try:
        return await connection.fetchval(
            "INSERT INTO users (username) VALUES ($1) RETURNING id",
            f"caller-{uuid.uuid4().hex[:8]}",
        )
    finally:
        await connection.close()


async def conversation(http: httpx.AsyncClient, conversation_id: str) -> dict:
    response = await http.get(f"/api/conversations/{conversation_id}", headers=SERVICE)
    assert response.status_code == 200, response.text
    return response.json()


async def wait_state(
    http: httpx.AsyncClient, conversation_id: str, states: set[str], limit: float
) -> dict:
    deadline = time.monotonic() + limit
    while True:
        row = await conversation(http, conversation_id)
        if row["state"] in states or time.monotonic() > deadline:
            return row
        await asyncio.sleep(0.1)


def poster(http: httpx.AsyncClient, headers: dict[str, str], seen: dict[str, str]):
    """An `answer(offer) -> answer` function for `call_with_tone`, via POST /webrtc."""

    async def answer(offer: str) -> str:
        response = await http.post(
            "/webrtc", content=offer, headers={"content-type": "application/sdp", **headers}
        )
        assert response.status_code == 201, response.text
        seen.update(response.headers)
        return response.text

    return answer


async def test_a_call_is_echoed_recorded_counted_and_owned(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    worker = media_workers.start()
    user_id = await create_user(media_api)
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        seen: dict[str, str] = {}
        client = await call_with_tone(poster(http, bearer(str(user_id)), seen), seconds=3.0)
        try:
            conversation_id = seen["x-conversation-id"]
            assert seen["location"] == f"/webrtc/{conversation_id}"
            assert seen["content-type"] == "application/sdp"
            health = (await http.get("/health")).json()
            assert health["active_conversations"] == 1
            row = await conversation(http, conversation_id)
            assert row["state"] == "active" and row["worker"] == worker.worker_id
            assert row["user_id"] == user_id
            await wait_for(lambda: len(client.echoed) >= 140, 5.0, "echoed frames")
        finally:
            await client.close()  # the caller hangs up (DTLS close / RTCP BYE)
        row = await wait_state(http, conversation_id, {"ended", "failed"}, 10.0)
        assert row["state"] == "ended" and row["end_reason"] == "hangup"

        echoed = mono_samples(client.echoed)[SAMPLE_RATE // 2 : -SAMPLE_RATE // 4]
        assert tone_ratio(echoed, 440.0) > 100

        path = media_api.recordings_dir / conversation_id / "user_audio.ogg"
        codec, rate, samples = decode_ogg(str(path))
        assert (codec, rate) == ("opus", 48_000)
        assert abs(samples / rate - client.track.seconds_sent) < 0.5
        assert row["bytes"] == path.stat().st_size and row["packets"] >= 145

        # the owner downloads it; somebody else and nobody may not
        recording = await http.get(row["recording_url"], headers=bearer(str(user_id)))
        assert recording.status_code == 200
        assert recording.headers["content-type"] == "audio/ogg"
        assert recording.content == path.read_bytes()
        other = await http.get(row["recording_url"], headers=bearer(str(user_id + 1000)))
        assert other.status_code == 403
        assert (await http.get(row["recording_url"])).status_code == 401
        assert (await http.get("/health")).json()["active_conversations"] == 0

    metrics = worker.metrics()
    assert f'voxhub_media_active_calls{{worker="{worker.worker_id}"}} 0.0' in metrics
    assert 'voxhub_media_calls_total{outcome="hangup"} 1.0' in metrics
    assert _sample(metrics, "voxhub_media_recording_bytes_total") == row["bytes"]
    assert "voxhub_media_echo_drops_total 0.0" in metrics
    api_metrics = media_api.metrics()
    assert _sample(api_metrics, 'voxhub_media_offers_total{result="answered"}') >= 1
    assert _sample(api_metrics, "voxhub_media_answer_latency_seconds_count") >= 1


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in metrics")


async def test_json_offer_and_hangup_through_the_api(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    media_workers.start()
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        client = ClientPeer(SineTrack(seconds=10.0))
        try:
            response = await http.post(
                "/webrtc", json={"type": "offer", "sdp": await client.offer()}
            )
            assert response.status_code == 201, response.text
            body = response.json()
            conversation_id = body["conversation_id"]
            assert (
                body["type"] == "answer"
                and response.headers["x-conversation-id"] == conversation_id
            )
            await client.accept(body["sdp"])
            await wait_for(lambda: client.track.frames_sent >= 50, 5.0, "a second of audio")
            await asyncio.sleep(0.3)
            # anonymous call: its id is the capability to hang up
            hangup = await http.delete(f"/webrtc/{conversation_id}")
            assert hangup.status_code == 204
            row = await conversation(http, conversation_id)  # finalized before the 204
            assert row["state"] == "ended" and row["end_reason"] == "hangup"
            assert row["user_id"] is None
            await wait_for(lambda: client.pc.connectionState == "closed", 5.0, "caller sees it")
        finally:
            await client.close()
        assert (await http.delete(f"/webrtc/{conversation_id}")).status_code == 204
        assert (await http.delete(f"/webrtc/{uuid.uuid4().hex}")).status_code == 404
        path = media_api.recordings_dir / conversation_id / "user_audio.ogg"
        assert parse_pages(path.read_bytes())[-1].header_type == HEADER_TYPE_EOS
        # anonymous conversations are readable by services and admins only
        user_view = await http.get(f"/api/conversations/{conversation_id}", headers=bearer("7"))
        assert user_view.status_code == 403


async def test_two_workers_share_calls_and_full_means_503(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    first, second = media_workers.start(), media_workers.start()  # MEDIA_MAX_CALLS=2 each
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        clients: list[ClientPeer] = []
        try:

            async def place() -> httpx.Response:
                client = ClientPeer(SineTrack(seconds=20.0))
                clients.append(client)
                offer = await client.offer()
                return await http.post(
                    "/webrtc", content=offer, headers={"content-type": "application/sdp"}
                )

            responses = await asyncio.gather(*(place() for _ in range(4)))
            assert [r.status_code for r in responses] == [201] * 4
            for client, response in zip(clients, responses, strict=True):
                await client.accept(response.text)
            owners = [
                (await conversation(http, r.headers["x-conversation-id"]))["worker"]
                for r in responses
            ]
            assert sorted(owners) == sorted([first.worker_id] * 2 + [second.worker_id] * 2)
            assert (await http.get("/health")).json()["active_conversations"] == 4

            full = await place()
            assert full.status_code == 503 and int(full.headers["retry-after"]) > 0
            assert "error" in full.json()

            # one hangs up: there is room again
            freed = responses[0].headers["x-conversation-id"]
            assert (await http.delete(f"/webrtc/{freed}")).status_code == 204
            again = await place()
            assert again.status_code == 201, again.text
        finally:
            for client in clients:
                await client.close()


async def _two_seconds_into_a_call(http: httpx.AsyncClient, client: ClientPeer) -> str:
    """An anonymous call that has sent two seconds of tone; returns its conversation id."""
    seen: dict[str, str] = {}
    await client.accept(await poster(http, {}, seen)(await client.offer()))
    await wait_for(lambda: client.track.frames_sent >= 100, 5.0, "two seconds of audio")
    return seen["x-conversation-id"]


async def test_sigkill_mid_call_marks_it_failed_and_the_file_decodes(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    worker = media_workers.start()
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        client = ClientPeer(SineTrack(seconds=20.0))
        try:
            conversation_id = await _two_seconds_into_a_call(http, client)
            killed_at = time.monotonic()
            assert worker.signal(signal.SIGKILL) == -signal.SIGKILL
            row = await wait_state(http, conversation_id, {"failed", "ended"}, 10.0)
            # heartbeat TTL is 2 s; the API fails the call as soon as the key has expired
            assert time.monotonic() - killed_at < 2.0 + 2.0
            assert row["state"] == "failed" and row["end_reason"] == "worker_lost"
            assert (await http.get("/health")).json()["active_conversations"] == 0
        finally:
            await client.close()
    path = media_api.recordings_dir / conversation_id / "user_audio.ogg"
    data = path.read_bytes()
    pages = parse_pages(data)
    assert sum(len(p.raw) for p in pages) == len(data)  # cut on a page boundary
    assert not pages[-1].header_type & HEADER_TYPE_EOS
    _, _, samples = decode_ogg(str(path))
    assert samples / SAMPLE_RATE > 1.5
    assert row["bytes"] == len(data)


async def test_sigterm_finalizes_the_recording(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    worker = media_workers.start()
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        client = ClientPeer(SineTrack(seconds=20.0))
        try:
            conversation_id = await _two_seconds_into_a_call(http, client)
            assert worker.signal(signal.SIGTERM) == 0
            row = await conversation(http, conversation_id)
            assert row["state"] == "ended" and row["end_reason"] == "shutdown"
            assert (await http.get("/health")).json()["active_conversations"] == 0
            # no worker left: new calls are refused at once, not after a timeout
            started = time.monotonic()
            refused = await http.post(
                "/webrtc",
                content=await ClientPeer(SineTrack()).offer(),
                headers={"content-type": "application/sdp"},
            )
            assert refused.status_code == 503 and refused.headers["retry-after"]
            assert time.monotonic() - started < 1.0
        finally:
            await client.close()
    path = media_api.recordings_dir / conversation_id / "user_audio.ogg"
    assert parse_pages(path.read_bytes())[-1].header_type == HEADER_TYPE_EOS
    _, _, samples = decode_ogg(str(path))
    assert abs(samples / SAMPLE_RATE - row["duration"]) < 0.5
    assert "stopped" in worker.log()


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"content-type": "application/sdp"}, b"this is not SDP", 400),
        ({"content-type": "application/sdp"}, b"\xff\xfe\x00garbage", 400),
        ({"content-type": "application/sdp"}, b"v=0\r\nm=audio", 400),
        ({}, b"v=0\r\n", 415),
        ({"content-type": "text/plain"}, b"v=0\r\n", 415),
        ({"content-type": "application/sdp"}, b"v=0\r\n" + b"a=x\r\n" * 20_000, 413),
        ({"content-type": "application/json"}, b'{"type": "answer", "sdp": "v=0"}', 400),
        ({"content-type": "application/json"}, b"{not json", 400),
    ],
)
async def test_unusable_requests_get_4xx(
    media_api: MediaApi, headers: dict[str, str], body: bytes, status: int
) -> None:
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        response = await http.post("/webrtc", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]


async def test_video_only_and_receive_only_offers_are_400(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    media_workers.start()
    from aiortc import RTCPeerConnection

    from app.media.engine.ice import rtc_configuration

    async def offer(kind: str, direction: str) -> str:
        pc = RTCPeerConnection(rtc_configuration([]))
        pc.addTransceiver(kind, direction=direction)
        await pc.setLocalDescription(await pc.createOffer())
        await pc.close()
        return pc.localDescription.sdp

    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        for sdp in (await offer("video", "sendrecv"), await offer("audio", "recvonly")):
            response = await http.post(
                "/webrtc", content=sdp, headers={"content-type": "application/sdp"}
            )
            assert response.status_code == 400, response.text


async def test_conversation_reads_are_guarded(media_api: MediaApi) -> None:
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        missing = uuid.uuid4().hex
        assert (await http.get(f"/api/conversations/{missing}", headers=SERVICE)).status_code == 404
        assert (await http.get(f"/api/conversations/{missing}")).status_code == 401
        for attempt in (
            "/api/conversations/..%2F..%2F..%2Fetc%2Fpasswd/recording",
            "/api/conversations/%2E%2E/recording",
            "/api/conversations/../../etc/passwd",
        ):
            response = await http.get(attempt, headers=SERVICE)
            assert response.status_code == 404, attempt
        assert (await http.delete("/webrtc/not-an-id")).status_code == 404


async def test_no_media_worker_means_503(media_api: MediaApi, media_workers: WorkerPool) -> None:
    async with httpx.AsyncClient(base_url=media_api.url, timeout=20) as http:
        client = ClientPeer(SineTrack())
        try:
            response = await http.post(
                "/webrtc", content=await client.offer(), headers={"content-type": "application/sdp"}
            )
        finally:
            await client.close()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "no media worker" in response.json()["error"]


def test_workers_on_one_machine_share_one_metrics_port(
    media_api: MediaApi, media_workers: WorkerPool
) -> None:
    shared = os.path.join(media_workers.workdir, "shared-metrics")
    first = media_workers.start(PROMETHEUS_MULTIPROC_DIR=shared)
    second = media_workers.start(first.metrics_port, PROMETHEUS_MULTIPROC_DIR=shared)
    metrics = first.metrics()  # served by the first, merged over the shared folder
    for worker in (first, second):
        assert f'voxhub_media_capacity{{worker="{worker.worker_id}"}} 2.0' in metrics
    assert "samples go to" in second.log()

    # without a shared folder a busy port is a configuration error, named in one line
    env = {k: v for k, v in second.env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run(
        [VOXHUB, "media-worker", "--metrics-port", str(first.metrics_port)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("voxhub: invalid METRICS_PORT")
