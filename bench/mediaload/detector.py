"""Times the echo of each tone burst as the echoed packets arrive at the caller.

Every echoed Opus packet is decoded here, in the tap that sees it after SRTP and before
aiortc's jitter buffer (whose fixed prefetch delay belongs to the caller, not the server). A
packet that decodes loud after a quiet one is a burst's echo; its frequency says which burst.
The same decoding runs whether the server passed the packets through or re-encoded them.
"""

from __future__ import annotations

import time
from typing import Final

import numpy as np
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterFrame

from app.compat.aiortc_rtp_tap import ReceivedPacket
from bench.mediaload.pattern import (
    FREQUENCIES,
    LOUD_RMS,
    SAMPLE_RATE,
    Burst,
    PatternTrack,
    left_channel,
    pattern,
    rms,
)

LOOK_BACK: Final = 2 * len(FREQUENCIES)
"""Bursts searched for a match: an echo later than 4 s is counted as lost."""


def strongest_frequency(samples: np.ndarray) -> int:
    """Index in FREQUENCIES of the tone carrying most energy (a 4-bin DFT)."""
    n = np.arange(samples.size) / SAMPLE_RATE
    powers = [
        float(
            np.dot(samples, np.cos(2 * np.pi * f * n)) ** 2
            + np.dot(samples, np.sin(2 * np.pi * f * n)) ** 2
        )
        for f in FREQUENCIES
    ]
    return int(np.argmax(powers))


class EchoDetector:
    def __init__(self, track: PatternTrack) -> None:
        self.track = track
        self._decoder = OpusDecoder()
        self._tone_payloads = pattern().tone_payloads
        self._quiet = True
        self.received = 0
        self.loud = 0
        self.identical = 0
        """Loud packets whose bytes are exactly a packet the caller sent (passed through)."""
        self.stray_edges = 0
        """Loud onsets that match no burst sent in the last 4 s."""
        self.latency: dict[int, float] = {}
        """Burst sequence number -> seconds from send to echo arrival."""

    def on_packet(self, packet: ReceivedPacket) -> None:
        arrived = time.perf_counter()
        self.received += 1
        frames = self._decoder.decode(JitterFrame(packet.payload, packet.timestamp))
        samples = left_channel(frames)
        loud = rms(samples) > LOUD_RMS
        if loud:
            self.loud += 1
            self.identical += packet.payload in self._tone_payloads
            if self._quiet:
                self._onset(samples, arrived)
        self._quiet = not loud

    def _onset(self, samples: np.ndarray, arrived: float) -> None:
        frequency = strongest_frequency(samples)
        burst = self._latest_unmatched(frequency, arrived)
        if burst is None:
            self.stray_edges += 1
            return
        self.latency[burst.sequence] = arrived - burst.sent_at

    def _latest_unmatched(self, frequency: int, before: float) -> Burst | None:
        for burst in reversed(self.track.bursts[-LOOK_BACK:]):
            if burst.frequency == frequency and burst.sent_at < before:
                return None if burst.sequence in self.latency else burst
        return None

    def window(self, start: float, end: float) -> tuple[list[float], int]:
        """Latencies of the bursts sent in [start, end) and how many of them never came back."""
        sent = [b for b in self.track.bursts if start <= b.sent_at < end]
        latencies = [self.latency[b.sequence] for b in sent if b.sequence in self.latency]
        return latencies, len(sent) - len(latencies)
