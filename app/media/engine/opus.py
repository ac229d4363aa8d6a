"""Opus packet inspection (RFC 6716 section 3.1) without decoding.

The recorder and the echo path never decode audio, yet both need to know how many
48 kHz samples a packet covers: the OGG granule position is the running sample
count, and the echo track stamps each packet with a presentation time. The TOC
byte (and, for code 3 packets, the frame-count byte) carries exactly that.
"""

from __future__ import annotations

SAMPLE_RATE = 48_000
"""Opus always runs its granule/RTP clock at 48 kHz, whatever the coded bandwidth."""

MAX_PACKET_SAMPLES = 5_760
"""120 ms: RFC 6716 3.2.5 forbids a packet longer than this."""

# Frame duration in 48 kHz samples for each of the 32 TOC configurations
# (RFC 6716 table 2): SILK-only 10/20/40/60 ms, hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
_SILK = (480, 960, 1920, 2880)
_HYBRID = (480, 960)
_CELT = (120, 240, 480, 960)
FRAME_SAMPLES: tuple[int, ...] = (
    _SILK * 3  # configs 0-11: NB, MB, WB
    + _HYBRID * 2  # configs 12-15: SWB, FB
    + _CELT * 4  # configs 16-31: NB, WB, SWB, FB
)


class OpusPacketError(ValueError):
    """Raised for bytes that cannot be an Opus packet (empty, truncated, too long)."""


def frame_samples(toc: int) -> int:
    """Samples per frame (at 48 kHz) for the configuration in a TOC byte."""
    return FRAME_SAMPLES[toc >> 3]


def frame_count(packet: bytes) -> int:
    """Number of Opus frames in ``packet`` (RFC 6716 3.2: codes 0-3)."""
    if not packet:
        raise OpusPacketError("empty Opus packet")
    code = packet[0] & 0x03
    if code == 0:
        return 1
    if code in (1, 2):
        return 2
    if len(packet) < 2:
        raise OpusPacketError("code 3 Opus packet without a frame-count byte")
    count = packet[1] & 0x3F
    if count == 0:
        raise OpusPacketError("code 3 Opus packet with zero frames")
    return count


def packet_samples(packet: bytes) -> int:
    """Duration of ``packet`` in 48 kHz samples: frame count x frame duration.

    Raises :class:`OpusPacketError` for packets a decoder would reject, so that a
    corrupt payload can never push the OGG granule position out of step.
    """
    samples = frame_count(packet) * frame_samples(packet[0])
    if samples > MAX_PACKET_SAMPLES:
        raise OpusPacketError(f"Opus packet of {samples} samples exceeds 120 ms")
    return samples


def is_stereo(packet: bytes) -> bool:
    """The TOC stereo flag (bit 2)."""
    return bool(packet and packet[0] & 0x04)


def lost_frames_packet(template_toc: int, frames: int) -> bytes:
    """A packet of ``frames`` zero-length frames in the template's configuration.

    RFC 6716 3.2.1: a zero-length frame signals a lost or DTX frame, and the
    decoder conceals it (packet loss concealment / comfort noise). The recorder
    uses such packets to keep the file's timeline equal to the RTP timeline when
    packets were lost, instead of silently shortening the recording. A code 3 CBR
    packet (``TOC|3``, count byte, no payload) carries 1-48 such frames in 2 bytes.
    """
    if not 1 <= frames <= 48:
        raise ValueError("a code 3 Opus packet carries 1 to 48 frames")
    if frames * frame_samples(template_toc) > MAX_PACKET_SAMPLES:
        raise ValueError("lost-frames packet would exceed 120 ms")
    return bytes(((template_toc & 0xFC) | 0x03, frames & 0x3F))
