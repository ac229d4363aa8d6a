"""OGG/Opus file writer for already-encoded Opus packets (RFC 3533 + RFC 7845).

Why hand-written: the recording path must store the caller's Opus packets as they
arrived, without a decode/re-encode round trip (aiortc's ``MediaRecorder`` costs
several times the CPU of packet passthrough). PyAV can mux packets too, but its
muxer buffers pages internally and only writes a playable trailer on ``close()``;
here every page reaches the kernel as soon as it is complete, so a worker killed
with SIGKILL leaves a file that decodes up to its last whole page.

Layout of the file:

* page 0 (BOS): ``OpusHead``; page 1: ``OpusTags`` (RFC 7845 section 5);
* audio pages: up to ``packets_per_page`` packets each, granule position = number
  of 48 kHz samples decoded through the last packet completed on the page
  (pre-skip included, RFC 7845 section 4), computed from each packet's TOC;
* the last page carries the EOS flag (written by :meth:`OggOpusWriter.close`).
"""

from __future__ import annotations

import os
import secrets
import struct
import time
import zlib
from pathlib import Path
from typing import Final

from app.media.engine.opus import SAMPLE_RATE, packet_samples

_BIT_REVERSED_BYTES: Final = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def ogg_crc(data: bytes | bytearray) -> int:
    """CRC-32 as RFC 3533 defines it for pages.

    Polynomial 0x04C11DB7, initial value 0, no bit reflection, no final XOR: not
    the zlib CRC-32, which is the *reflected* form of the same polynomial with
    0xFFFFFFFF pre/post inversion. The two are related by bit reversal, so this
    runs zlib's C code on bit-reversed bytes (``bytes.translate``) and undoes the
    inversions and the reflection. A table-driven pure-Python loop would cost
    about a third of a percent of a core per call (it was the recorder's largest
    item in a profile).
    """
    reflected = zlib.crc32(data.translate(_BIT_REVERSED_BYTES), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{reflected:032b}"[::-1], 2)


HEADER_TYPE_CONTINUED: Final = 0x01
HEADER_TYPE_BOS: Final = 0x02
HEADER_TYPE_EOS: Final = 0x04

MAX_SEGMENTS: Final = 255
MAX_PAGE_PAYLOAD: Final = MAX_SEGMENTS * 255 - 1
"""Largest packet that fits on one page (255 lacing values, the last one < 255)."""

DEFAULT_PRE_SKIP: Final = 312
"""libopus's encoder lookahead at 48 kHz (6.5 ms), what browsers' encoders add."""


def _lacing(length: int) -> bytes:
    """Segment table entries for one packet: runs of 255 and a final value < 255."""
    full, rest = divmod(length, 255)
    return b"\xff" * full + bytes((rest,))


def build_page(
    *,
    serial: int,
    sequence: int,
    granule: int,
    packets: list[bytes],
    header_type: int = 0,
) -> bytes:
    """One complete OGG page holding ``packets`` (each ending on this page)."""
    segments = b"".join(_lacing(len(p)) for p in packets)
    if len(segments) > MAX_SEGMENTS:
        raise ValueError("packets do not fit on one OGG page")
    header = struct.pack(
        "<4sBBqIIIB",
        b"OggS",
        0,  # stream structure version
        header_type,
        granule,
        serial,
        sequence,
        0,  # CRC placeholder, filled below
        len(segments),
    )
    page = bytearray(header + segments + b"".join(packets))
    struct.pack_into("<I", page, 22, ogg_crc(page))
    return bytes(page)


def opus_head(*, channels: int, pre_skip: int, input_sample_rate: int) -> bytes:
    """The RFC 7845 5.1 identification header (mapping family 0: mono/stereo)."""
    return struct.pack(
        "<8sBBHIhB",
        b"OpusHead",
        1,  # version
        channels,
        pre_skip,
        input_sample_rate,
        0,  # output gain
        0,  # channel mapping family
    )


def opus_tags(vendor: str, comments: dict[str, str] | None = None) -> bytes:
    """The RFC 7845 5.2 comment header."""
    vendor_bytes = vendor.encode()
    entries = [f"{key}={value}".encode() for key, value in (comments or {}).items()]
    body = struct.pack("<8sI", b"OpusTags", len(vendor_bytes)) + vendor_bytes
    body += struct.pack("<I", len(entries))
    for entry in entries:
        body += struct.pack("<I", len(entry)) + entry
    return body


class OggOpusWriter:
    """Append Opus packets to an OGG file, page by page, crash-safe.

    Every completed page is handed to the kernel with ``os.write`` immediately,
    which is what survives SIGKILL. ``fsync`` (surviving a machine crash) runs
    for the headers, on :meth:`sync` and on :meth:`close` only: one per page would
    cost a disk flush every 100 ms per call, so the recorder calls :meth:`sync`
    periodically from a thread instead.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        channels: int = 2,
        pre_skip: int = DEFAULT_PRE_SKIP,
        packets_per_page: int = 5,
        vendor: str = "voxhub",
        comments: dict[str, str] | None = None,
        serial: int | None = None,
    ) -> None:
        if not 1 <= packets_per_page <= MAX_SEGMENTS:
            raise ValueError("packets_per_page must be between 1 and 255")
        if channels not in (1, 2):
            raise ValueError("mapping family 0 carries 1 or 2 channels")
        self.path = Path(path)
        self.channels = channels
        self.pre_skip = pre_skip
        self.packets_per_page = packets_per_page
        self.serial = secrets.randbits(32) if serial is None else serial
        self.granule_position = 0
        """Samples decoded through the last packet accepted (pre-skip included)."""
        self.packets_written = 0
        self.pages_written = 0
        self.bytes_written = 0
        self.closed = False
        self._sequence = 0
        self._pending: list[bytes] = []
        self._pending_segments = 0
        self._pending_since = 0.0
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o640)
        try:
            head = opus_head(channels=channels, pre_skip=pre_skip, input_sample_rate=SAMPLE_RATE)
            self._write_page([head], granule=0, header_type=HEADER_TYPE_BOS)
            self._write_page([opus_tags(vendor, comments)], granule=0)
            os.fsync(self._fd)
        except BaseException:
            os.close(self._fd)
            raise

    @property
    def duration(self) -> float:
        """Playable seconds accepted so far (granule minus pre-skip)."""
        return max(0, self.granule_position - self.pre_skip) / SAMPLE_RATE

    @property
    def pending_packets(self) -> int:
        """Packets accepted but not yet on disk (at most ``packets_per_page - 1``)."""
        return len(self._pending)

    def write_packet(self, packet: bytes) -> int:
        """Queue one Opus packet; returns its duration in samples.

        Raises :class:`app.media.engine.opus.OpusPacketError` (a ``ValueError``) for
        bytes that are not a valid Opus packet, before touching the file.
        """
        if self.closed:
            raise ValueError("write to a closed OggOpusWriter")
        samples = packet_samples(packet)
        if len(packet) > MAX_PAGE_PAYLOAD:
            raise ValueError(f"Opus packet of {len(packet)} bytes is too large")
        segments = len(packet) // 255 + 1
        if self._pending_segments + segments > MAX_SEGMENTS:
            self.flush()
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending.append(packet)
        self._pending_segments += segments
        self.granule_position += samples
        self.packets_written += 1
        if len(self._pending) >= self.packets_per_page:
            self.flush()
        return samples

    def flush(self) -> None:
        """Write the pending packets as one page now (no-op if none pending)."""
        if self._pending and not self.closed:
            self._write_page(self._pending, granule=self.granule_position)
            self._pending = []
            self._pending_segments = 0

    def fileno(self) -> int:
        """The file descriptor, for an ``fsync`` run off the event loop."""
        return self._fd

    def sync(self) -> None:
        """``fsync`` what was written so far (pages only, not pending packets)."""
        if not self.closed:
            os.fsync(self._fd)

    def flush_if_older(self, max_age: float) -> bool:
        """Flush when the oldest pending packet waited ``max_age`` seconds.

        Bounds how much audio a SIGKILL can lose when the caller goes quiet
        (DTX) with a partly filled page. Returns whether a page was written.
        """
        if self._pending and time.monotonic() - self._pending_since >= max_age:
            self.flush()
            return True
        return False

    def close(self) -> None:
        """Write the final page with the EOS flag, fsync and close. Idempotent."""
        if self.closed:
            return
        try:
            self._write_page(
                self._pending, granule=self.granule_position, header_type=HEADER_TYPE_EOS
            )
            self._pending = []
            self._pending_segments = 0
            os.fsync(self._fd)
        finally:
            self.closed = True
            os.close(self._fd)

    def __enter__(self) -> OggOpusWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _write_page(self, packets: list[bytes], *, granule: int, header_type: int = 0) -> None:
        page = build_page(
            serial=self.serial,
            sequence=self._sequence,
            granule=granule,
            packets=packets,
            header_type=header_type,
        )
        view = memoryview(page)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._sequence += 1
        self.pages_written += 1
        self.bytes_written += len(page)
