"""The one place that reaches into aiortc's private receiver internals.

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

These names are private and change between aiortc releases, hence
:data:`SUPPORTED_AIORTC` and the checks in :func:`check_aiortc_version` and
:func:`install_opus_tap`: an upgrade fails loudly at worker start-up instead of
silently recording nothing.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Final, NamedTuple

import aiortc
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver

SUPPORTED_AIORTC: Final = ((1, 16),)
"""aiortc (major, minor) series whose receiver internals this module was read against."""

_DECODER_QUEUE_ATTR: Final = "_RTCRtpReceiver__decoder_queue"
_STARTED_ATTR: Final = "_RTCRtpReceiver__started"
_TAP_ATTR: Final = "_voxhub_opus_tap"


class UnsupportedAiortcVersion(RuntimeError):
    """The installed aiortc is not one whose private receiver hooks we verified."""


class ReceivedPacket(NamedTuple):
    """One RTP packet carrying Opus, as received (after SRTP, before jitter buffer)."""

    ssrc: int
    sequence_number: int
    timestamp: int
    payload: bytes


PacketSink = Callable[[ReceivedPacket], None]


def check_aiortc_version(version: str | None = None) -> None:
    """Raise :class:`UnsupportedAiortcVersion` unless aiortc is a verified series.

    Also checks the shape of the hooked method, so a patched or vendored aiortc
    with the right version string but different internals is refused too.
    """
    version = aiortc.__version__ if version is None else version
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError as exc:
        raise UnsupportedAiortcVersion(f"cannot parse aiortc version {version!r}") from exc
    if (major, minor) not in SUPPORTED_AIORTC:
        supported = ", ".join(f"{a}.{b}.x" for a, b in SUPPORTED_AIORTC)
        raise UnsupportedAiortcVersion(
            f"aiortc {version} is not supported by workers.media.rtp_tap "
            f"(verified: {supported}); its private RTCRtpReceiver hooks must be "
            "re-read before changing the pin"
        )
    handler = getattr(RTCRtpReceiver, "_handle_rtp_packet", None)
    if handler is None or list(inspect.signature(handler).parameters) != [
        "self",
        "packet",
        "arrival_time_ms",
    ]:
        raise UnsupportedAiortcVersion(
            "aiortc.RTCRtpReceiver._handle_rtp_packet(packet, arrival_time_ms) "
            "is missing or changed shape"
        )


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
    check_aiortc_version()
    if getattr(receiver, _TAP_ATTR, None) is not None:
        raise RuntimeError("an Opus tap is already installed on this receiver")
    if not hasattr(receiver, _DECODER_QUEUE_ATTR) or not hasattr(receiver, _STARTED_ATTR):
        raise UnsupportedAiortcVersion(
            "aiortc.RTCRtpReceiver no longer has the private decoder queue "
            f"({_DECODER_QUEUE_ATTR}) that rtp_tap replaces"
        )
    if getattr(receiver, _STARTED_ATTR):
        raise RuntimeError("install_opus_tap() after the receiver started decoding")

    tap = OpusTap(sink)
    setattr(receiver, _DECODER_QUEUE_ATTR, _DiscardingDecoderQueue())

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
    receiver.receive = receive  # type: ignore[method-assign]
    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]
    setattr(receiver, _TAP_ATTR, tap)
    return tap
