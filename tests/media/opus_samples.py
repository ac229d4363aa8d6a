"""Real Opus packets (libopus through PyAV) and an OGG page parser for tests."""

from __future__ import annotations

import array
import fractions
import math
import struct
from dataclasses import dataclass

import av

SAMPLE_RATE = 48_000


def tone_frames(count: int, frequency: float = 440.0, samples: int = 960) -> list[av.AudioFrame]:
    """``count`` consecutive stereo s16 frames of a sine tone."""
    frames = []
    step = 2 * math.pi * frequency / SAMPLE_RATE
    for index in range(count):
        offset = index * samples
        pcm = array.array("h")
        for n in range(samples):
            value = int(10_000 * math.sin(step * (offset + n)))
            pcm.extend((value, value))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = SAMPLE_RATE
        frame.pts = offset
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        frames.append(frame)
    return frames


def encode_tone(count: int, frequency: float = 440.0) -> list[bytes]:
    """``count`` 20 ms Opus packets of a tone, as a WebRTC sender would produce."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.bit_rate = 64_000
    encoder.format = "s16"
    encoder.layout = "stereo"
    encoder.sample_rate = SAMPLE_RATE
    encoder.time_base = fractions.Fraction(1, SAMPLE_RATE)
    packets: list[bytes] = []
    for frame in tone_frames(count, frequency):
        packets.extend(bytes(p) for p in encoder.encode(frame))
    packets.extend(bytes(p) for p in encoder.encode(None))
    return packets[:count]


@dataclass
class Page:
    offset: int
    header_type: int
    granule: int
    serial: int
    sequence: int
    crc: int
    packets: list[bytes]
    raw: bytes
    continued_last: bool
    """The last segment run is cut (a packet continuing on the next page)."""


def parse_pages(data: bytes) -> list[Page]:
    """Every complete page in ``data``; stops at a truncated page."""
    pages = []
    offset = 0
    while offset + 27 <= len(data):
        if data[offset : offset + 4] != b"OggS":
            raise ValueError(f"no capture pattern at {offset}")
        _, _, header_type, granule, serial, sequence, crc, count = struct.unpack_from(
            "<4sBBqIIIB", data, offset
        )
        table = data[offset + 27 : offset + 27 + count]
        body_start = offset + 27 + count
        body_len = sum(table)
        if len(table) < count or body_start + body_len > len(data):
            break
        packets, current, position = [], b"", body_start
        for lace in table:
            current += data[position : position + lace]
            position += lace
            if lace < 255:
                packets.append(current)
                current = b""
        pages.append(
            Page(
                offset=offset,
                header_type=header_type,
                granule=granule,
                serial=serial,
                sequence=sequence,
                crc=crc,
                packets=packets,
                raw=data[offset : body_start + body_len],
                continued_last=bool(count and table[-1] == 255),
            )
        )
        offset = body_start + body_len
    return pages
