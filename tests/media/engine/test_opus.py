"""Opus TOC arithmetic (RFC 6716 section 3.1)."""

from __future__ import annotations

import pytest

from app.media.engine.opus import (
    OpusPacketError,
    frame_count,
    frame_samples,
    is_stereo,
    lost_frames_packet,
    packet_samples,
)


def toc(config: int, stereo: bool = False, code: int = 0) -> int:
    return (config << 3) | (0x04 if stereo else 0) | code


@pytest.mark.parametrize(
    ("config", "samples"),
    [
        (0, 480),  # SILK NB 10 ms
        (1, 960),  # SILK NB 20 ms
        (2, 1920),  # SILK NB 40 ms
        (3, 2880),  # SILK NB 60 ms
        (11, 2880),  # SILK WB 60 ms
        (12, 480),  # hybrid SWB 10 ms
        (15, 960),  # hybrid FB 20 ms
        (16, 120),  # CELT NB 2.5 ms
        (17, 240),  # CELT NB 5 ms
        (30, 480),  # CELT FB 10 ms
        (31, 960),  # CELT FB 20 ms
    ],
)
def test_frame_duration_per_configuration(config: int, samples: int) -> None:
    assert frame_samples(toc(config)) == samples
    assert packet_samples(bytes((toc(config), 0xAA, 0xBB))) == samples


def test_frame_count_codes() -> None:
    assert frame_count(bytes((toc(31, code=0), 1))) == 1
    assert frame_count(bytes((toc(31, code=1), 1, 2))) == 2
    assert frame_count(bytes((toc(31, code=2), 1, 1, 2))) == 2
    assert frame_count(bytes((toc(16, code=3), 0x80 | 7, 0))) == 7  # VBR flag ignored
    # 2 x 20 ms, and 3 x 20 ms in a code 3 packet
    assert packet_samples(bytes((toc(31, code=1), 1, 2))) == 1920
    assert packet_samples(bytes((toc(31, code=3), 3))) == 2880


def test_invalid_packets_are_refused() -> None:
    with pytest.raises(OpusPacketError):
        packet_samples(b"")
    with pytest.raises(OpusPacketError):
        packet_samples(bytes((toc(31, code=3),)))  # no frame-count byte
    with pytest.raises(OpusPacketError):
        packet_samples(bytes((toc(31, code=3), 0)))  # zero frames
    with pytest.raises(OpusPacketError):
        packet_samples(bytes((toc(31, code=3), 7)))  # 140 ms > 120 ms


def test_stereo_flag() -> None:
    assert is_stereo(bytes((toc(31, stereo=True),)))
    assert not is_stereo(bytes((toc(31),)))


def test_lost_frames_packet_keeps_mode_and_counts_frames() -> None:
    template = toc(31, stereo=True, code=1)
    packet = lost_frames_packet(template, 6)
    assert packet == bytes((toc(31, stereo=True, code=3), 6))
    assert packet_samples(packet) == 6 * 960
    with pytest.raises(ValueError):
        lost_frames_packet(template, 7)  # 140 ms
    with pytest.raises(ValueError):
        lost_frames_packet(template, 0)
    assert packet_samples(lost_frames_packet(toc(16), 48)) == 48 * 120
