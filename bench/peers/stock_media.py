"""aiortc's stock echo-and-record, for `media`: what an aiortc user writes from its examples.

The caller's audio goes through aiortc's receiver (jitter buffer, decoder thread) as PCM;
`MediaRelay` hands the decoded frames to aiortc's sender, which encodes them again for the
echo, and to aiortc's `MediaRecorder`, which encodes them again into OGG/Opus. Signaling is
Voxhub's (`POST /webrtc` with the SDP, `DELETE /webrtc/{id}`), so the same callers measure
both. ICE is configured as Voxhub's media worker does it (no STUN, host candidates on
127.0.0.1): that is set-up, not the media path being compared.

One process, on asyncio's own event loop like `voxhub media-worker`.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRecorder, MediaRelay
from sanic import Request, Sanic
from sanic.response import HTTPResponse, empty, json, raw

from app.compat.aioice_host_pinning import apply_ice_policy
from app.media.engine.ice import rtc_configuration
from tests.media.peers import LOOPBACK

MAX_OFFER_BYTES = 64 * 1024

app = Sanic("stock_media")
app.config.ACCESS_LOG = False
app.config.USE_UVLOOP = False
RECORDINGS = Path(os.environ.get("BENCH_RECORDINGS_DIR", "var/bench-stock-recordings"))


@dataclass
class StockCall:
    pc: RTCPeerConnection
    path: Path
    relay: MediaRelay = field(default_factory=MediaRelay)
    recorder: MediaRecorder | None = None

    def on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "audio" or self.recorder is not None:
            return
        self.pc.addTrack(self.relay.subscribe(track))  # echo: re-encoded by the sender
        self.recorder = MediaRecorder(str(self.path), format="ogg")
        self.recorder.addTrack(self.relay.subscribe(track))


CALLS: dict[str, StockCall] = {}


async def finish(conversation_id: str) -> bool:
    call = CALLS.pop(conversation_id, None)
    if call is None:
        return False
    if call.recorder is not None:
        await call.recorder.stop()
    await call.pc.close()
    return True


def error(status: int, message: str) -> HTTPResponse:
    return json({"error": message}, status=status)


@app.post("/webrtc")
async def offer(request: Request) -> HTTPResponse:
    if (request.headers.get("content-type") or "").split(";")[0].strip() != "application/sdp":
        return error(415, "send the SDP offer as application/sdp")
    if len(request.body) > MAX_OFFER_BYTES:
        return error(413, "offer too large")
    conversation_id = uuid.uuid4().hex
    path = RECORDINGS / conversation_id / "user_audio.ogg"
    path.parent.mkdir(parents=True, exist_ok=True)
    pc = RTCPeerConnection(rtc_configuration([]))
    call = StockCall(pc, path)
    pc.on("track", call.on_track)

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        if pc.connectionState in ("failed", "closed"):
            await finish(conversation_id)

    try:
        await pc.setRemoteDescription(RTCSessionDescription(request.body.decode(), "offer"))
        if call.recorder is None:
            raise ValueError("the offer has no audio")
        apply_ice_policy(pc, LOOPBACK)
        await call.recorder.start()
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as exc:  # the caller's SDP: a 400, never a 500
        with contextlib.suppress(Exception):
            await pc.close()
        if call.recorder is not None:
            with contextlib.suppress(Exception):
                await call.recorder.stop()
        return error(400, f"offer rejected: {type(exc).__name__}: {exc}")
    CALLS[conversation_id] = call
    return raw(
        pc.localDescription.sdp.encode(),
        status=201,
        content_type="application/sdp",
        headers={"X-Conversation-Id": conversation_id, "Location": f"/webrtc/{conversation_id}"},
    )


@app.delete("/webrtc/<conversation_id:str>")
async def hang_up(request: Request, conversation_id: str) -> HTTPResponse:
    if not await finish(conversation_id):
        return error(404, "conversation not found")
    return empty(status=204)
