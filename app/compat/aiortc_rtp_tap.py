"""The caller's RTP packets, before aiortc decodes them (aiortc's private receiver internals).

aiortc has no public API for the *encoded* media a peer sends: an
``RTCRtpReceiver`` pushes every RTP packet through a jitter buffer into a decoder
thread, and ``RemoteStreamTrack.recv()`` yields decoded PCM. Echo and recording
want the Opus packets as they arrived (no decode, no re-encode, no jitter-buffer
delay), so :func:`install_opus_tap` does two things to one receiver:

1. wraps the instance's ``_handle_rtp_packet`` (called by the DTLS transport for
   each decrypted, routed RTP packet) to hand Opus packets to a sink *before*
   the jitter buffer, then lets aiortc continue so its RTCP receiver reports,
   SSRC bookkeeping and RTCP BYE handling keep working;
2. replaces the receiver's private decoder queue (``__decoder_queue``, captured
   by the decoder thread when ``receive()`` starts it) with
   :class:`_DiscardingDecoderQueue`, so no frame is ever decoded. Its ``None``
   sentinel still ends the remote track, as in stock aiortc.

These names are private and change between aiortc releases: `pin` refuses any release but
the one they were read against when the module is imported (a media worker's start-up), and
:func:`check_private_api` (run there too, and by every :func:`install_opus_tap`) refuses a
vendored or patched aiortc whose hooks changed shape, so an upgrade fails loudly instead of
silently recording nothing. tests/compat/test_aiortc_rtp_tap.py re-checks both.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Final, NamedTuple

from aiortc.rtcrtpparameters import RTCRtpReceiveParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver

from app.compat import UnsupportedVersion, pin

SUPPORTED: Final = "1.16."
"""The aiortc series whose receiver internals this module was read against."""
pin("aiortc", SUPPORTED, __name__)

DECODER_QUEUE_ATTR: Final = "_RTCRtpReceiver__decoder_queue"
STARTED_ATTR: Final = "_RTCRtpReceiver__started"
ENABLED_ATTR: Final = "_enabled"
RECEIVER_ATTRS: Final = (DECODER_QUEUE_ATTR, STARTED_ATTR, ENABLED_ATTR)
"""The private instance attributes every tapped receiver must have."""
HANDLER_PARAMETERS: Final = ("self", "packet", "arrival_time_ms")
_TAP_ATTR: Final = "_voxhub_opus_tap"


class ReceivedPacket(NamedTuple):
    """One RTP packet carrying Opus, as received (after SRTP, before jitter buffer)."""

    ssrc: int
    sequence_number: int
    timestamp: int
    payload: bytes


PacketSink = Callable[[ReceivedPacket], None]


def check_private_api() -> None:
    """Raise :class:`UnsupportedVersion` unless the hooked method has the shape read here.

    A patched or vendored aiortc with the right version string but different internals is
    refused too. (The decoder queue is an instance attribute: :func:`install_opus_tap`
    checks it on each receiver.)
    """
    handler = getattr(RTCRtpReceiver, "_handle_rtp_packet", None)
    if handler is None or tuple(inspect.signature(handler).parameters) != HANDLER_PARAMETERS:
        raise UnsupportedVersion(
            f"{__name__}: aiortc.RTCRtpReceiver._handle_rtp_packet(packet, arrival_time_ms) "
            "is missing or changed shape"
        )


check_private_api()


class _DiscardingDecoderQueue:
    """Stands in for the receiver's ``queue.Queue`` feeding its decoder thread.

    ``put((codec, frame))`` drops the encoded frame; ``put(None)`` (receiver
    stop, RTCP BYE, disconnect) releases the decoder thread, which then ends the
    remote track exactly as aiortc would. ``get()`` blocks that otherwise idle
    thread until then.
    """

    def __init__(self) -> None:
        self._stopped = threading.Event()

    def put(self, item: object) -> None:
        if item is None:
            self._stopped.set()

    def get(self) -> None:
        self._stopped.wait()
        return None


class OpusTap:
    """State of one installed tap: the sink and what it has seen."""

    def __init__(self, sink: PacketSink) -> None:
        self.sink = sink
        self.opus_payload_types: frozenset[int] = frozenset()
        self.packets = 0
        self.bytes = 0
        self.ignored = 0
        """RTP packets of another payload type (or empty) that were not tapped."""


def install_opus_tap(receiver: RTCRtpReceiver, sink: PacketSink) -> OpusTap:
    """Route ``receiver``'s Opus RTP packets to ``sink`` and disable its decoder.

    Must run before ``receiver.receive()`` starts the decoder thread, i.e. before
    ``RTCPeerConnection.setLocalDescription`` completes the negotiation. ``sink``
    runs on the event loop for every packet and must not block.
    """
    check_private_api()
    if getattr(receiver, _TAP_ATTR, None) is not None:
        raise RuntimeError("an Opus tap is already installed on this receiver")
    missing = [name for name in RECEIVER_ATTRS if not hasattr(receiver, name)]
    if missing:
        raise UnsupportedVersion(
            "aiortc.RTCRtpReceiver no longer has the private decoder queue, start flag or "
            f"enabled flag that {__name__} uses (missing: {', '.join(missing)})"
        )
    if getattr(receiver, STARTED_ATTR):
        raise RuntimeError("install_opus_tap() after the receiver started decoding")

    tap = OpusTap(sink)
    setattr(receiver, DECODER_QUEUE_ATTR, _DiscardingDecoderQueue())

    original_receive: Callable[[RTCRtpReceiveParameters], Awaitable[None]] = receiver.receive
    original_handle: Callable[[Any, int], Awaitable[None]] = receiver._handle_rtp_packet

    async def receive(parameters: RTCRtpReceiveParameters) -> None:
        tap.opus_payload_types = frozenset(
            codec.payloadType
            for codec in parameters.codecs
            if codec.mimeType.lower() == "audio/opus" and codec.payloadType is not None
        )
        await original_receive(parameters)

    async def handle_rtp_packet(packet: Any, arrival_time_ms: int) -> None:
        if receiver._enabled and packet.payload_type in tap.opus_payload_types:
            payload: bytes = packet.payload
            if payload:
                tap.packets += 1
                tap.bytes += len(payload)
                sink(ReceivedPacket(packet.ssrc, packet.sequence_number, packet.timestamp, payload))
            else:
                tap.ignored += 1
        else:
            tap.ignored += 1
        await original_handle(packet, arrival_time_ms)

    # Instance attributes shadow the class's methods for this receiver only.
    receiver.receive = receive  # type: ignore[method-assign]  # shadowed per instance on purpose
    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]  # as above
    setattr(receiver, _TAP_ATTR, tap)
    return tap
