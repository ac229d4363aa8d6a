"""A real aiortc client peer for media tests, plus signal analysis helpers.

The client is a normal aiortc ``RTCPeerConnection`` on 127.0.0.1 only (no STUN,
host candidates pinned to loopback), sending a sine tone in real time and
collecting what the server echoes back (decoded by the client's own stock
receiver, as a browser would).
"""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import av
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from app.compat.aioice_host_pinning import IcePolicy, apply_ice_policy
from app.media.engine.ice import rtc_configuration

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960
LOOPBACK = IcePolicy(host_addresses=("127.0.0.1",))


class SineTrack(MediaStreamTrack):
    """``seconds`` of a sine tone at ``frequency`` Hz, paced in real time, then end."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0, seconds: float = 3.0, amplitude: int = 12_000):
        super().__init__()
        self.frequency = frequency
        self.total_frames = int(seconds * SAMPLE_RATE / FRAME_SAMPLES)
        self.amplitude = amplitude
        self.frames_sent = 0
        self._start: float | None = None

    @property
    def seconds_sent(self) -> float:
        return self.frames_sent * FRAME_SAMPLES / SAMPLE_RATE

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live" or self.frames_sent >= self.total_frames:
            self.stop()
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self.frames_sent * FRAME_SAMPLES / SAMPLE_RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        offset = self.frames_sent * FRAME_SAMPLES
        step = 2 * math.pi * self.frequency / SAMPLE_RATE
        samples = array.array(
            "h", (int(self.amplitude * math.sin(step * (offset + n))) for n in range(FRAME_SAMPLES))
        )
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = SAMPLE_RATE
        frame.pts = offset
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self.frames_sent += 1
        return frame


@dataclass
class ClientPeer:
    """The calling side: offer, tone out, echo in."""

    track: SineTrack
    pc: RTCPeerConnection = field(default_factory=lambda: RTCPeerConnection(rtc_configuration([])))
    echoed: list[av.AudioFrame] = field(default_factory=list)
    _readers: list[asyncio.Task[None]] = field(default_factory=list)

    async def offer(self) -> str:
        self.pc.addTransceiver(self.track, direction="sendrecv")

        @self.pc.on("track")
        def on_track(remote: MediaStreamTrack) -> None:
            self._readers.append(asyncio.ensure_future(self._read(remote)))

        apply_ice_policy(self.pc, LOOPBACK)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))

    async def _read(self, remote: MediaStreamTrack) -> None:
        try:
            while True:
                self.echoed.append(await remote.recv())
        except MediaStreamError:
            pass

    async def wait_sent(self, limit: float = 15.0) -> None:
        """Until the tone has been fully handed to the sender."""
        deadline = time.monotonic() + limit
        while self.track.frames_sent < self.track.total_frames:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.track.frames_sent} frames sent")
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        await self.pc.close()
        for reader in self._readers:
            reader.cancel()


async def wait_for(predicate: Callable[[], bool], limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def call_with_tone(
    answer: Callable[[str], Awaitable[str]], frequency: float = 440.0, seconds: float = 3.0
) -> ClientPeer:
    """Offer through ``answer`` (SDP in, SDP out), send the whole tone, keep the call up."""
    client = ClientPeer(SineTrack(frequency, seconds))
    answer_sdp = await answer(await client.offer())
    await client.accept(answer_sdp)
    await client.wait_sent()
    return client


def mono_samples(frames: list[av.AudioFrame]) -> list[int]:
    """First-channel s16 samples of decoded frames (aiortc delivers s16 packed)."""
    out: list[int] = []
    for frame in frames:
        data = array.array("h", bytes(frame.planes[0]))
        channels = len(frame.layout.channels)
        out.extend(data[0 : frame.samples * channels : channels])
    return out


def goertzel_power(
    samples: list[int] | list[float], frequency: float, rate: int = SAMPLE_RATE
) -> float:
    """Signal power at one frequency (Goertzel), normalised by length squared."""
    n = len(samples)
    if n == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * frequency / rate)
    s_prev = s_prev2 = 0.0
    for x in samples:
        s = x + coeff * s_prev - s_prev2
        s_prev2, s_prev = s_prev, s
    power = s_prev2 * s_prev2 + s_prev * s_prev - coeff * s_prev * s_prev2
    return power / (n * n)


def tone_ratio(
    samples: list[int] | list[float],
    frequency: float,
    others: tuple[float, ...] = (220.0, 700.0, 1000.0, 2000.0),
) -> float:
    """Power at ``frequency`` over the strongest of some other frequencies."""
    target = goertzel_power(samples, frequency)
    reference = max(goertzel_power(samples, f) for f in others)
    return target / max(reference, 1e-9)


def decode_ogg(path: str) -> tuple[str, int, int]:
    """Decode an OGG/Opus file with PyAV: (codec name, sample rate, decoded samples)."""
    with av.open(path) as container:
        stream = container.streams.audio[0]
        name = stream.codec_context.name
        rate = stream.codec_context.sample_rate
        total = 0
        for frame in container.decode(stream):
            total += frame.samples
    return name, rate, total
