"""Media benchmark commands run inside a load-generator process (`bench.wsload.agent`).

A call is placed exactly as a browser would: an aiortc offer POSTed to `{url}/webrtc`, the
SDP answer applied, hung up with `DELETE {url}/webrtc/{id}`. Voxhub and the stock aiortc peer
serve the same two routes, so the same callers measure both.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from aiortc import RTCPeerConnection, RTCSessionDescription

from app.compat.aioice_host_pinning import apply_ice_policy
from app.compat.aiortc_rtp_tap import install_opus_tap
from app.media.engine.ice import rtc_configuration
from bench.mediaload.detector import EchoDetector
from bench.mediaload.pattern import FRAME_SECONDS, PatternTrack
from bench.wsload.agent import AgentState, command
from tests.media.peers import LOOPBACK

CALLS = "media_calls"
ARRIVAL_GRACE = 1.0
"""After a window closes, how long its last bursts may still take to come back."""
IN_FLIGHT_GRACE = 0.5
"""Between the callers' last packet and their hang-up: the server records what is in flight."""


class CallRefused(RuntimeError):
    pass


@dataclass
class MediaCall:
    base_url: str
    track: PatternTrack
    pc: RTCPeerConnection
    detector: EchoDetector
    conversation_id: str = ""


async def place_call(http: httpx.AsyncClient, base_url: str) -> MediaCall:
    track = PatternTrack()
    pc = RTCPeerConnection(rtc_configuration([]))
    transceiver = pc.addTransceiver(track, direction="sendrecv")
    call = MediaCall(base_url, track, pc, EchoDetector(track))
    install_opus_tap(transceiver.receiver, call.detector.on_packet)
    apply_ice_policy(pc, LOOPBACK)
    try:
        await pc.setLocalDescription(await pc.createOffer())
        response = await http.post(
            f"{base_url}/webrtc",
            content=pc.localDescription.sdp,
            headers={"content-type": "application/sdp"},
        )
        if response.status_code != 201:
            raise CallRefused(f"HTTP {response.status_code}: {response.text[:120]}")
        call.conversation_id = response.headers["x-conversation-id"]
        await pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))
    except BaseException:
        await pc.close()
        raise
    return call


def _calls(state: AgentState) -> list[MediaCall]:
    return state.scenario.setdefault(CALLS, [])


@command("media_open")
async def media_open(
    state: AgentState, url: str, count: int, concurrency: int, timeout_each: float
) -> dict[str, Any]:
    """Place `count` more calls, at most `concurrency` offers in flight."""
    gate = asyncio.Semaphore(concurrency)
    errors: Counter[str] = Counter()
    calls = _calls(state)

    async def one(http: httpx.AsyncClient) -> None:
        async with gate:
            try:
                calls.append(await asyncio.wait_for(place_call(http, url), timeout_each))
            except Exception as exc:  # counted and reported: refusals are a result too
                errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

    async with httpx.AsyncClient(timeout=timeout_each) as http:
        await asyncio.gather(*(one(http) for _ in range(count)))
    return {"opened": len(calls), "failed": sum(errors.values()), "errors": dict(errors)}


@command("media_flowing")
async def media_flowing(state: AgentState, limit: float, packets: int = 25) -> dict[str, Any]:
    """Wait until every call has had `packets` echoed back (or `limit` seconds pass)."""
    deadline = time.monotonic() + limit
    calls = _calls(state)
    while time.monotonic() < deadline:
        if all(call.detector.received >= packets for call in calls):
            break
        await asyncio.sleep(0.1)
    return {"flowing": sum(call.detector.received >= packets for call in calls)}


@command("media_measure")
async def media_measure(state: AgentState, seconds: float) -> dict[str, Any]:
    """Echo latency of every burst sent during the next `seconds`, with loss and identity."""
    calls = _calls(state)
    before = [(c.detector.received, c.detector.loud, c.detector.identical) for c in calls]
    for call in calls:
        call.track.max_lag = 0.0
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    end = time.perf_counter()
    after = [(c.detector.received, c.detector.loud, c.detector.identical) for c in calls]
    await asyncio.sleep(ARRIVAL_GRACE)
    latencies: list[float] = []
    lost = 0
    for call in calls:
        measured, missing = call.detector.window(start, end)
        latencies.extend(measured)
        lost += missing
    return {
        "latencies": latencies,
        "lost": lost,
        "echoed": sum(a[0] - b[0] for a, b in zip(after, before, strict=True)),
        "loud": sum(a[1] - b[1] for a, b in zip(after, before, strict=True)),
        "identical": sum(a[2] - b[2] for a, b in zip(after, before, strict=True)),
        "expected": len(calls) * (end - start) / FRAME_SECONDS,
        "stray": sum(call.detector.stray_edges for call in calls),
        "max_lag_ms": max((call.track.max_lag for call in calls), default=0.0) * 1000,
    }


@command("media_hangup")
async def media_hangup(state: AgentState, timeout_each: float) -> dict[str, Any]:
    """Stop sending, let the last packets land, then hang up every call through the server
    (which finalizes its recording) and close. Stopping first makes the audio sent exact, so
    each recording can be held to it."""
    calls, state.scenario[CALLS] = _calls(state), []
    for call in calls:
        call.track.stop()
    sent = {c.conversation_id: c.track.sent * FRAME_SECONDS for c in calls}
    await asyncio.sleep(IN_FLIGHT_GRACE)
    errors: Counter[str] = Counter()

    async def one(http: httpx.AsyncClient, call: MediaCall) -> None:
        try:
            response = await http.delete(f"{call.base_url}/webrtc/{call.conversation_id}")
            if response.status_code != 204:
                errors[f"HTTP {response.status_code}: {response.text[:80]}"] += 1
        except httpx.HTTPError as exc:
            errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
        await asyncio.wait_for(call.pc.close(), timeout_each)

    async with httpx.AsyncClient(timeout=timeout_each) as http:
        await asyncio.gather(*(one(http, call) for call in calls))
    return {"closed": len(calls), "errors": dict(errors), "recordings": sent}
