"""Checks a finished recording: it decodes, lasts what was sent, and whose packets it holds.

A recording written without decoding and re-encoding holds the very Opus packets the caller
sent; a re-encoded one holds new ones. Silence encodes to the same few bytes either way, so
the comparison counts the packets that decode loud (the tone bursts).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from bench.mediaload.pattern import LOUD_RMS, left_channel, pattern, rms


@dataclass(frozen=True, slots=True)
class RecordingCheck:
    codec: str
    sample_rate: int
    seconds: float
    loud_packets: int
    identical_packets: int
    """Loud packets byte-identical to one the caller sent."""


def check_recording(path: Path) -> RecordingCheck:
    tone = pattern().tone_payloads
    samples = loud = identical = 0
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        codec, rate = stream.codec_context.name, stream.codec_context.sample_rate
        for packet in container.demux(stream):
            if packet.size == 0:  # the demuxer's end-of-stream flush
                continue
            payload = bytes(packet)
            frames = list(packet.decode())
            samples += sum(frame.samples for frame in frames)
            if rms(left_channel(frames)) > LOUD_RMS:
                loud += 1
                identical += payload in tone
    return RecordingCheck(codec, rate, samples / max(rate, 1), loud, identical)
