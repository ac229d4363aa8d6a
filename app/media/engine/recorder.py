"""Record tapped Opus RTP packets into an OGG file, in order, without decoding.

The tap delivers packets in arrival order, before any jitter buffer. The
recorder puts them back in sequence-number order within a small window, drops
late duplicates, and keeps the file's timeline equal to the RTP timeline: when
packets are missing (loss, or a sender's DTX pause) it writes zero-length Opus
frames, which decoders conceal, instead of silently shortening the recording.
Concealment never lets the file run ahead of the real clock (more than
``clock_slack`` seconds past the time since the first packet arrived): a sender
jumping its RTP timestamps forward would otherwise have each packet buy up to a
minute of concealment, hundreds of writes on the event loop, per packet sent.

Packets reach the recorder through a bounded queue (seed: 2000 packets, 40 s of
audio) so that slow storage never stalls the event loop that also runs the
echo; if it still fills up, new packets are dropped and counted, as the Go
service's non-blocking send did.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Final

from app.compat.aiortc_rtp_tap import ReceivedPacket
from app.media.engine.ogg_writer import OggOpusWriter
from app.media.engine.opus import (
    MAX_PACKET_SAMPLES,
    SAMPLE_RATE,
    OpusPacketError,
    frame_samples,
    lost_frames_packet,
    packet_samples,
)

log = logging.getLogger("voxhub.media")

DEFAULT_RECORD_QUEUE: Final = 2000
# How far the recording may run ahead of the time since its first packet: jitter and the
# reorder window, not a budget a sender can spend on timestamp jumps.
DEFAULT_CLOCK_SLACK: Final = 1.0

Arrival = tuple[ReceivedPacket, float]
"""A packet and when it reached the recorder (the clock's reading)."""


class Recorder:
    """One conversation's recording: a queue, a reorder window, an OGG writer."""

    def __init__(
        self,
        writer: OggOpusWriter,
        *,
        queue_size: int = DEFAULT_RECORD_QUEUE,
        reorder_window: int = 5,
        max_gap_seconds: float = 60.0,
        sync_interval: float = 1.0,
        max_page_age: float = 0.5,
        max_bytes: int | None = None,
        clock_slack: float = DEFAULT_CLOCK_SLACK,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.writer = writer
        self.max_bytes = max_bytes
        self.clock_slack = clock_slack
        self.clock = clock
        self._first_arrival: float | None = None
        self.reorder_window = reorder_window
        self.max_gap_samples = int(max_gap_seconds * SAMPLE_RATE)
        self.sync_interval = sync_interval
        self.max_page_age = max_page_age
        self._queue: asyncio.Queue[Arrival | None] = asyncio.Queue(queue_size)
        self._task: asyncio.Task[None] | None = None
        self._sync_task: asyncio.Future[None] | None = None
        self._last_sync = time.monotonic()
        self._closing = False
        self._closed = asyncio.Event()
        # reorder state
        self._ssrc: int | None = None
        self._expected = 0
        self._buffer: dict[int, Arrival] = {}
        self._last_end_ts: int | None = None
        # counters
        self.received = 0
        self.dropped = 0
        """Packets refused because the queue was full."""
        self.late = 0
        """Packets older than one already written (late reorder or duplicate)."""
        self.invalid = 0
        """Payloads that are not valid Opus packets."""
        self.concealed_frames = 0
        """Zero-length frames written for packets that never arrived."""
        self.full = False
        """The file reached ``max_bytes``: nothing more is written (the call ends)."""

    @property
    def queue_size(self) -> int:
        return self._queue.maxsize

    @property
    def bytes_written(self) -> int:
        return self.writer.bytes_written

    @property
    def packets_written(self) -> int:
        return self.writer.packets_written

    @property
    def duration(self) -> float:
        return self.writer.duration

    def start(self) -> None:
        """Start the task that drains the queue into the file."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"recorder:{self.writer.path}")

    def push(self, packet: ReceivedPacket) -> None:
        """Hand a packet to the recording task; never blocks."""
        if self._closing:
            return
        self.received += 1
        try:
            self._queue.put_nowait((packet, self.clock()))
        except asyncio.QueueFull:
            self.dropped += 1

    def maintenance(self) -> None:
        """Periodic upkeep (the call's watchdog runs it about twice a second).

        Writes a partly filled page once its oldest packet is ``max_page_age``
        old, which bounds what a SIGKILL loses while the caller is silent, and
        starts a background ``fsync`` every ``sync_interval`` seconds so that the
        event loop never waits for the disk.
        """
        if self._closing or self.writer.closed:
            return
        self.writer.flush_if_older(self.max_page_age)
        now = time.monotonic()
        if now - self._last_sync >= self.sync_interval and (
            self._sync_task is None or self._sync_task.done()
        ):
            self._last_sync = now
            self._sync_task = asyncio.ensure_future(
                asyncio.to_thread(os.fsync, self.writer.fileno())
            )

    async def close(self) -> None:
        """Write everything queued, finalize the file (EOS page, fsync). Idempotent."""
        if not self._closing:
            self._closing = True
            try:
                self._queue.put_nowait(None)
            except asyncio.QueueFull:
                pass  # the task sees _closing once it has drained the full queue
            if self._task is None:
                await self._finish()
        await self._closed.wait()

    async def _run(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if item is not None:
                    try:
                        self._accept(item)
                    except OSError:
                        log.exception("recording write failed for %s", self.writer.path)
                        raise
                if item is None or (self._closing and self._queue.empty()):
                    break
        finally:
            await self._finish()

    async def _finish(self) -> None:
        if self._closed.is_set():
            return
        try:
            if self._sync_task is not None:
                await asyncio.gather(self._sync_task, return_exceptions=True)
            if not self.writer.closed:
                self._drain_buffer()
                await asyncio.to_thread(self.writer.close)
        finally:
            self._closed.set()

    # -- ordering ---------------------------------------------------------

    def _accept(self, item: Arrival) -> None:
        """Insert one packet into the reorder window and write what is ready."""
        packet, arrival = item
        if self._first_arrival is None:
            self._first_arrival = arrival
        if packet.ssrc != self._ssrc:
            # A new source (first packet, or the sender restarted): finish the
            # old one and start a fresh sequence/timestamp space.
            self._drain_buffer()
            self._ssrc = packet.ssrc
            self._expected = packet.sequence_number
            self._last_end_ts = None
        seq = packet.sequence_number
        if (seq - self._expected) & 0xFFFF >= 0x8000 or seq in self._buffer:
            self.late += 1
            return
        self._buffer[seq] = item
        self._write_ready()
        if len(self._buffer) > self.reorder_window:
            # The expected packet is overdue: give it up and move on.
            self._expected = self._oldest_buffered()
            self._write_ready()

    def _oldest_buffered(self) -> int:
        expected = self._expected
        return min(self._buffer, key=lambda s: (s - expected) & 0xFFFF)

    def _write_ready(self) -> None:
        while self._expected in self._buffer:
            self._write(self._buffer.pop(self._expected))
            self._expected = (self._expected + 1) & 0xFFFF

    def _drain_buffer(self) -> None:
        while self._buffer:
            self._expected = self._oldest_buffered()
            self._write_ready()

    def _write(self, item: Arrival) -> None:
        packet, arrival = item
        if self.max_bytes is not None and self.writer.bytes_written >= self.max_bytes:
            self.full = True
            return
        payload = packet.payload
        try:
            samples = packet_samples(payload)
        except OpusPacketError:
            self.invalid += 1
            return
        if self._last_end_ts is not None:
            gap = (packet.timestamp - self._last_end_ts) & 0xFFFFFFFF
            if 0 < gap <= self.max_gap_samples:
                self._conceal(min(gap, self._room(arrival)), payload[0])
        self.writer.write_packet(payload)
        self._last_end_ts = (packet.timestamp + samples) & 0xFFFFFFFF

    def _room(self, arrival: float) -> int:
        """Samples the file may still grow by before running ahead of the real clock."""
        elapsed = arrival - (self._first_arrival if self._first_arrival is not None else arrival)
        allowed = (elapsed + self.clock_slack) * SAMPLE_RATE
        return max(0, int(allowed - self.writer.duration * SAMPLE_RATE))

    def _conceal(self, gap: int, toc: int) -> None:
        """Fill ``gap`` samples with zero-length frames of the next packet's mode."""
        per_frame = frame_samples(toc)
        frames = gap // per_frame
        per_packet = min(48, MAX_PACKET_SAMPLES // per_frame)
        while frames > 0:
            count = min(frames, per_packet)
            self.writer.write_packet(lost_frames_packet(toc, count))
            self.concealed_frames += count
            frames -= count
