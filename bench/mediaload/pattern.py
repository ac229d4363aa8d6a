"""The audio every benchmark caller sends: silence with a short tone burst every 500 ms.

Each burst is 60 ms of one of four frequencies in turn, so an echo that arrives late (or
after a lost burst) is still matched to the burst it carries. The pattern is encoded once per
process with aiortc's own Opus encoder (the packets an aiortc caller would send) and replayed
as `av.Packet`s, which aiortc's sender packetizes without encoding again.

A burst's reference packet is the first one that *decodes* loud (the encoder's look-ahead
moves the onset into the next packet or not): latency is measured from handing that packet to
the sender, so the caller's own encoder delay is not charged to the server.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import dataclass
from functools import cache
from typing import Final

import av
import numpy as np
from aiortc.codecs.opus import OpusDecoder, OpusEncoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

SAMPLE_RATE: Final = 48_000
FRAME_SAMPLES: Final = 960
FRAME_SECONDS: Final = FRAME_SAMPLES / SAMPLE_RATE
PERIOD_PACKETS: Final = 25
"""One burst every 500 ms: far longer than any echo we would call acceptable."""
BURST_OFFSET: Final = 10
BURST_PACKETS: Final = 3
FREQUENCIES: Final = (600.0, 900.0, 1200.0, 1500.0)
CYCLE_PACKETS: Final = PERIOD_PACKETS * len(FREQUENCIES)
AMPLITUDE: Final = 12_000
LOUD_RMS: Final = 1_000.0
"""Decoded RMS above which a packet carries a burst (the tone's RMS is about 8,500)."""
TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)


def _frame(samples: np.ndarray, pts: int) -> av.AudioFrame:
    stereo = np.repeat(samples.astype(np.int16), 2).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame


def _samples(index: int) -> np.ndarray:
    """PCM of packet `index` of the cycle (tone phase continuous within a burst)."""
    period, offset = divmod(index, PERIOD_PACKETS)
    if not BURST_OFFSET <= offset < BURST_OFFSET + BURST_PACKETS:
        return np.zeros(FRAME_SAMPLES)
    start = (offset - BURST_OFFSET) * FRAME_SAMPLES
    n = np.arange(start, start + FRAME_SAMPLES)
    return AMPLITUDE * np.sin(2 * np.pi * FREQUENCIES[period] * n / SAMPLE_RATE)


def left_channel(frames: list[av.AudioFrame]) -> np.ndarray:
    """First-channel samples on the s16 scale, from aiortc's packed s16 frames or from
    FFmpeg's planar float ones (an OGG file decoded by PyAV)."""
    parts = []
    for frame in frames:
        data = frame.to_ndarray()
        first = (
            data[0]
            if frame.format.is_planar
            else data.reshape(-1, len(frame.layout.channels))[:, 0]
        )
        parts.append(first * 32768.0 if first.dtype.kind == "f" else first.astype(np.float64))
    return np.concatenate(parts) if parts else np.zeros(0)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0


@dataclass(frozen=True, slots=True)
class Pattern:
    payloads: tuple[bytes, ...]
    burst_at: dict[int, int]
    """Cycle index of each burst's reference packet -> its frequency's index."""
    tone_payloads: frozenset[bytes]
    """Packets that decode loud. Silence encodes to the same few bytes whoever encodes it,
    so only these tell a packet passed through from one that was re-encoded."""


@cache
def pattern() -> Pattern:
    """Encode two cycles and keep the second, so the encoder state is that of a loop."""
    encoder = OpusEncoder()
    payloads: list[bytes] = []
    for index in range(2 * CYCLE_PACKETS + 4):
        encoded, _ = encoder.encode(_frame(_samples(index % CYCLE_PACKETS), index * FRAME_SAMPLES))
        payloads.extend(encoded)
    cycle = tuple(payloads[CYCLE_PACKETS : 2 * CYCLE_PACKETS])
    decoder = OpusDecoder()
    burst_at: dict[int, int] = {}
    tone: set[bytes] = set()
    quiet = True
    for index, payload in enumerate(cycle):
        loud = rms(left_channel(decoder.decode(JitterFrame(payload, index)))) > LOUD_RMS
        if loud and quiet:
            burst_at[index] = len(burst_at) % len(FREQUENCIES)
        if loud:
            tone.add(payload)
        quiet = not loud
    if len(burst_at) != len(FREQUENCIES):
        raise RuntimeError(f"the encoded pattern has {len(burst_at)} bursts, not 4")
    return Pattern(cycle, burst_at, frozenset(tone))


@dataclass(slots=True)
class Burst:
    sequence: int
    frequency: int
    sent_at: float


class PatternTrack(MediaStreamTrack):
    """Replays the pattern in real time, logging when each burst is handed to the sender."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pattern = pattern()
        self._start: float | None = None
        self.bursts: list[Burst] = []
        self.sent = 0
        self.max_lag = 0.0
        """Largest delay of a packet against its schedule: the client process's own overload."""

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        due = self._start + self.sent * FRAME_SECONDS
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        now = time.perf_counter()
        self.max_lag = max(self.max_lag, now - due)
        index = self.sent % CYCLE_PACKETS
        packet = av.Packet(self._pattern.payloads[index])
        packet.pts = self.sent * FRAME_SAMPLES
        packet.time_base = TIME_BASE
        frequency = self._pattern.burst_at.get(index)
        if frequency is not None:
            self.bursts.append(Burst(len(self.bursts), frequency, now))
        self.sent += 1
        return packet
