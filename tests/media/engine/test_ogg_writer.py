"""The OGG/Opus writer: page format, CRC, granules, decodability, crash safety."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from app.media.engine.ogg_writer import (
    DEFAULT_PRE_SKIP,
    HEADER_TYPE_BOS,
    HEADER_TYPE_EOS,
    OggOpusWriter,
    ogg_crc,
)
from app.media.engine.opus import lost_frames_packet
from tests.media.opus_samples import encode_tone, parse_pages, tone_frames
from tests.media.peers import decode_ogg

ROOT = Path(__file__).resolve().parents[3]


def reference_crc(data: bytes) -> int:
    """Bit-by-bit CRC-32 (poly 0x04C11DB7, MSB first, init 0, no final XOR)."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def zero_crc(raw: bytes) -> bytes:
    return raw[:22] + b"\0\0\0\0" + raw[26:]


def test_crc_matches_reference_and_ffmpeg_pages(tmp_path: Path) -> None:
    assert ogg_crc(b"") == 0
    for sample in (b"OggS", bytes(range(256)), b"\xff" * 1000):
        assert ogg_crc(sample) == reference_crc(sample)
    # Pages written by FFmpeg's OGG muxer carry CRCs computed by libavformat.
    path = tmp_path / "ffmpeg.ogg"
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48_000)
        for frame in tone_frames(20):
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    pages = parse_pages(path.read_bytes())
    assert len(pages) >= 3
    for page in pages:
        assert ogg_crc(zero_crc(page.raw)) == page.crc


def test_headers_granules_and_eos(tmp_path: Path) -> None:
    packets = encode_tone(23)
    path = tmp_path / "a.ogg"
    writer = OggOpusWriter(path, packets_per_page=5, serial=0x1234)
    for packet in packets:
        assert writer.write_packet(packet) == 960
    # a 60 ms lost-frames packet: granules follow the TOC, not a packet count
    writer.write_packet(lost_frames_packet(packets[-1][0], 3))
    writer.close()
    writer.close()  # idempotent

    data = path.read_bytes()
    assert writer.bytes_written == len(data)
    pages = parse_pages(data)
    assert [p.sequence for p in pages] == list(range(len(pages)))
    assert all(p.serial == 0x1234 for p in pages)
    for page in pages:
        assert ogg_crc(zero_crc(page.raw)) == page.crc

    head, tags, *audio = pages
    assert head.header_type == HEADER_TYPE_BOS and head.granule == 0
    magic, version, channels, pre_skip, rate, gain, family = struct.unpack(
        "<8sBBHIhB", head.packets[0]
    )
    assert (magic, version, channels, pre_skip, rate, gain, family) == (
        b"OpusHead",
        1,
        2,
        DEFAULT_PRE_SKIP,
        48_000,
        0,
        0,
    )
    assert tags.packets[0].startswith(b"OpusTags") and tags.granule == 0

    assert [len(p.packets) for p in audio] == [5, 5, 5, 5, 4]
    assert [p.granule for p in audio] == [4800, 9600, 14400, 19200, 23 * 960 + 2880]
    assert audio[-1].header_type == HEADER_TYPE_EOS
    assert all(p.header_type == 0 for p in audio[:-1])
    assert b"".join(b"".join(p.packets) for p in audio) == b"".join(packets) + lost_frames_packet(
        packets[-1][0], 3
    )

    codec, rate, samples = decode_ogg(str(path))
    assert (codec, rate) == ("opus", 48_000)
    assert samples == 23 * 960 + 2880 - DEFAULT_PRE_SKIP
    assert writer.duration == samples / 48_000


def test_close_without_pending_packets_writes_an_empty_eos_page(tmp_path: Path) -> None:
    packets = encode_tone(10)
    path = tmp_path / "b.ogg"
    with OggOpusWriter(path, packets_per_page=5) as writer:
        for packet in packets:
            writer.write_packet(packet)
        assert writer.pending_packets == 0
    pages = parse_pages(path.read_bytes())
    assert pages[-1].header_type == HEADER_TYPE_EOS
    assert pages[-1].packets == [] and pages[-1].granule == 9600
    assert decode_ogg(str(path))[2] == 9600 - DEFAULT_PRE_SKIP


def test_flush_if_older_writes_a_partial_page(tmp_path: Path) -> None:
    writer = OggOpusWriter(tmp_path / "c.ogg", packets_per_page=5)
    writer.write_packet(encode_tone(1)[0])
    assert not writer.flush_if_older(10.0)
    assert writer.pending_packets == 1
    time.sleep(0.02)
    assert writer.flush_if_older(0.01)
    assert writer.pending_packets == 0 and writer.pages_written == 3
    writer.close()


def test_invalid_packets_do_not_touch_the_file(tmp_path: Path) -> None:
    path = tmp_path / "d.ogg"
    writer = OggOpusWriter(path)
    size = path.stat().st_size
    with pytest.raises(ValueError):
        writer.write_packet(b"")
    with pytest.raises(ValueError):
        writer.write_packet(bytes((0xFB, 0)))  # code 3, zero frames
    assert writer.granule_position == 0 and writer.packets_written == 0
    writer.close()
    assert path.stat().st_size > size  # only the EOS page was added
    with pytest.raises(ValueError):
        writer.write_packet(encode_tone(1)[0])


def test_large_packets_start_a_new_page(tmp_path: Path) -> None:
    # 1200-byte packets need 5 lacing values each: 60 of them cannot share a page.
    packet = bytes((0xFC,)) + bytes(1199)  # CELT FB 20 ms, one (silly) frame
    path = tmp_path / "e.ogg"
    with OggOpusWriter(path, packets_per_page=60) as writer:
        for _ in range(60):
            writer.write_packet(packet)
    pages = parse_pages(path.read_bytes())[2:]
    assert [len(p.packets) for p in pages] == [51, 9]
    assert [p.granule for p in pages] == [51 * 960, 60 * 960]


CHILD = """
import sys, time
from tests.media.opus_samples import encode_tone
from app.media.engine.ogg_writer import OggOpusWriter

packets = encode_tone(400)
writer = OggOpusWriter(sys.argv[1], packets_per_page=5)
for index, packet in enumerate(packets):
    writer.write_packet(packet)
    if writer.pending_packets == 0:
        print(writer.pages_written, flush=True)
    time.sleep(0.005)
time.sleep(60)
"""


def test_sigkilled_writer_leaves_a_file_that_decodes_to_its_last_page(tmp_path: Path) -> None:
    path = tmp_path / "killed.ogg"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if int(line) >= 30:
                break
        # Kill it while it is writing: a few packets are pending in memory.
        time.sleep(0.013)
        child.send_signal(signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    data = path.read_bytes()
    pages = parse_pages(data)
    assert sum(len(p.raw) for p in pages) == len(data)  # ends on a page boundary
    assert len(pages) >= 30
    assert not pages[-1].header_type & HEADER_TYPE_EOS  # never closed
    last_granule = pages[-1].granule
    assert decode_ogg(str(path))[2] == last_granule - DEFAULT_PRE_SKIP

    # A write cut inside a page (e.g. the disk filled up mid-page) loses only that page.
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(data[: pages[-1].offset + len(pages[-1].raw) // 2])
    assert decode_ogg(str(cut))[2] == pages[-2].granule - DEFAULT_PRE_SKIP
