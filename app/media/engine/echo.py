"""Echo the caller's Opus packets back without decoding or re-encoding them.

aiortc's ``RTCRtpSender`` encodes what a track's ``recv()`` returns only when it
is an ``av.Frame``; for an ``av.Packet`` it calls the codec's ``pack()``, which
just takes the bytes and converts ``pts`` to the RTP clock (see
``RTCRtpSender._next_encoded_frame`` and ``OpusEncoder.pack`` in aiortc 1.16).
So :class:`EchoTrack` yields the received payloads as ``av.Packet`` objects
stamped with the caller's own timing, and the sender re-packetizes them.

The queue is small and drops the *oldest* packet when full: when the caller's
downlink is slower than its uplink, stale audio is worse than a gap, and the
seed sizes it at 100 packets (2 s of 20 ms packets).
"""

from __future__ import annotations

import asyncio
import fractions
from collections import deque
from typing import Final

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from app.compat.aiortc_rtp_tap import ReceivedPacket
from app.media.engine.opus import SAMPLE_RATE, OpusPacketError, packet_samples

TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)
DEFAULT_ECHO_QUEUE: Final = 100
_MAX_FORWARD_JUMP: Final = 10 * 60 * SAMPLE_RATE
"""A larger RTP timestamp jump is a source reset, not a pause: don't replay it."""
_MAX_BACKWARD_JUMP: Final = SAMPLE_RATE


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


class EchoTrack(MediaStreamTrack):
    """An outgoing audio track whose "frames" are the caller's Opus packets."""

    kind = "audio"

    def __init__(self, capacity: int = DEFAULT_ECHO_QUEUE) -> None:
        super().__init__()
        if capacity < 1:
            raise ValueError("echo queue capacity must be positive")
        self.capacity = capacity
        self._queue: deque[tuple[bytes, int]] = deque(maxlen=capacity)
        self._wakeup = asyncio.Event()
        self.pushed = 0
        self.sent = 0
        self.dropped = 0
        """Packets discarded unsent because the queue was full (oldest first)."""
        self._ssrc: int | None = None
        self._last_ts = 0
        self._last_pts = 0
        self._next_pts = 0

    def push(self, packet: ReceivedPacket) -> None:
        """Queue a received packet for sending back; never blocks."""
        if self.readyState != "live":
            return
        try:
            samples = packet_samples(packet.payload)
        except OpusPacketError:
            samples = 960
        pts = self._presentation_time(packet, samples)
        if len(self._queue) == self.capacity:
            self.dropped += 1
        self._queue.append((packet.payload, pts))
        self.pushed += 1
        self._wakeup.set()

    def _presentation_time(self, packet: ReceivedPacket, samples: int) -> int:
        """Our outgoing timeline: the caller's RTP timestamps, made continuous.

        Keeping the caller's timestamp spacing preserves pauses (DTX) for the
        remote jitter buffer; a new SSRC or an implausible jump continues right
        after the previous packet instead.
        """
        if packet.ssrc == self._ssrc:
            delta = _signed32(packet.timestamp - self._last_ts)
            if -_MAX_BACKWARD_JUMP <= delta <= _MAX_FORWARD_JUMP:
                pts = self._last_pts + delta
                if delta > 0:
                    self._last_ts = packet.timestamp
                    self._last_pts = pts
                    self._next_pts = max(self._next_pts, pts + samples)
                return pts
        pts = self._next_pts
        self._ssrc = packet.ssrc
        self._last_ts = packet.timestamp
        self._last_pts = pts
        self._next_pts = pts + samples
        return pts

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def recv(self) -> av.Packet:
        """Next packet for ``RTCRtpSender``; ends with ``MediaStreamError`` on stop."""
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._wakeup.clear()
            await self._wakeup.wait()
        if self.readyState != "live":
            raise MediaStreamError
        payload, pts = self._queue.popleft()
        out = av.Packet(payload)
        out.pts = pts
        out.time_base = TIME_BASE
        self.sent += 1
        return out

    def stop(self) -> None:
        super().stop()
        self._queue.clear()
        self._wakeup.set()
