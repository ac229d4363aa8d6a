"""One call: one ``RTCPeerConnection`` that echoes and records the caller's audio.

Life cycle: :meth:`Call.answer` validates the SDP offer, negotiates Opus only,
installs the packet tap, opens the recording and returns the SDP answer (with
candidates: aiortc gathers before answering). The call then ends exactly once,
for the first of: the caller hangs up (DTLS close or RTCP BYE), ICE/DTLS fails,
no packet for ``inactivity_timeout`` seconds (aiortc alone takes ~30 s to notice
a vanished peer), no connection ``connect_timeout`` seconds after the answer,
``max_call_seconds`` reached, the recording reaching ``recording_max_bytes``, or
:meth:`Call.close` (API hang-up, worker shutdown). The last three bound what one
caller can hold of a worker's slots and of the recordings disk. Ending
closes the peer connection, writes the queued packets and the EOS page, and
reports the outcome to ``on_end``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from aiortc import RTCIceServer, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc import sdp as aiortc_sdp
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from app.compat.aioice_host_pinning import IcePolicy, apply_ice_policy
from app.compat.aiortc_rtp_tap import OpusTap, ReceivedPacket, install_opus_tap
from app.media.engine.echo import DEFAULT_ECHO_QUEUE, EchoTrack
from app.media.engine.ice import MediaTurn, Network, rtc_configuration, without_denied_candidates
from app.media.engine.ogg_writer import OggOpusWriter
from app.media.engine.recorder import DEFAULT_RECORD_QUEUE, Recorder
from app.media.protocol import RECORDING_FILENAME
from app.media.sdp import MAX_SECTIONS

log = logging.getLogger("voxhub.media")

_SENDING_DIRECTIONS: Final = frozenset({None, "sendrecv", "sendonly"})


class OfferError(ValueError):
    """The caller's offer cannot be answered (HTTP 400 material, not a server fault)."""


class EndReason(enum.StrEnum):
    """Why a call ended; ``HANGUP``/``CLOSED``/``SHUTDOWN`` are normal endings."""

    HANGUP = "hangup"
    CLOSED = "closed"
    SHUTDOWN = "shutdown"
    INACTIVITY = "inactivity"
    MAX_DURATION = "max_duration"
    RECORDING_LIMIT = "recording_limit"
    NOT_CONNECTED = "not_connected"
    ICE_FAILED = "ice_failed"
    ERROR = "error"

    @property
    def failed(self) -> bool:
        return self in (EndReason.ICE_FAILED, EndReason.NOT_CONNECTED, EndReason.ERROR)


@dataclass
class CallSettings:
    """Per-worker knobs shared by all its calls."""

    recordings_dir: Path
    ice_servers: list[RTCIceServer] = field(default_factory=list)
    turn: MediaTurn | None = None
    ice_policy: IcePolicy = field(default_factory=IcePolicy)
    inactivity_timeout: float = 15.0
    connect_timeout: float = 10.0
    max_call_seconds: float = 3600.0
    recording_max_bytes: int | None = None
    denied_peer_networks: tuple[Network, ...] = ()
    echo_queue_size: int = DEFAULT_ECHO_QUEUE
    record_queue_size: int = DEFAULT_RECORD_QUEUE
    packets_per_page: int = 5
    channels: int = 2
    close_timeout: float = 5.0
    watchdog_interval: float = 0.5

    def call_ice_servers(self) -> list[RTCIceServer]:
        """The servers for one new call: a TURN credential is issued now, valid for this call."""
        if self.turn is None:
            return self.ice_servers
        return [*self.ice_servers, self.turn.server()]


@dataclass(frozen=True)
class CallStats:
    """A snapshot of one call's counters (for metrics, heartbeats and the DB)."""

    conversation_id: str
    state: str
    end_reason: str | None
    started_at: float
    """Wall-clock time the answer was produced (``time.time()``)."""
    ended_at: float | None
    duration: float
    """Seconds from answer to end (or to now, while the call is up)."""
    packets_received: int
    bytes_received: int
    echo_sent: int
    echo_dropped: int
    recorded_packets: int
    recording_bytes: int
    recording_duration: float
    record_dropped: int
    concealed_frames: int
    recording_path: str
    """Empty when the call recorded nothing (the empty file is removed)."""


def validate_offer(offer_sdp: str) -> None:
    """Reject offers we can never answer, before creating any WebRTC state.

    The offer must parse, and carry an audio section the caller sends on
    (``sendrecv``/``sendonly``) offering Opus, with a DTLS fingerprint and ICE
    credentials: there is nothing to echo or record otherwise.
    """
    if not offer_sdp or not offer_sdp.strip():
        raise OfferError("empty SDP offer")
    try:
        description = aiortc_sdp.SessionDescription.parse(offer_sdp)
    except Exception as exc:  # the parser raises assorted errors on garbage
        raise OfferError(f"unparsable SDP offer: {exc.__class__.__name__}") from exc
    if len(description.media) > MAX_SECTIONS:  # also refused by the API (app/media/sdp.py)
        raise OfferError(f"the offer has more than {MAX_SECTIONS} media sections")
    audio = [m for m in description.media if m.kind == "audio" and m.port != 0]
    if not audio:
        raise OfferError("the offer has no audio section")
    sending = [m for m in audio if m.direction in _SENDING_DIRECTIONS]
    if not sending:
        raise OfferError("the offer does not send audio")
    if not any(codec.mimeType.lower() == "audio/opus" for m in sending for codec in m.rtp.codecs):
        raise OfferError("the offer's audio does not include Opus")
    # Without a fingerprint DTLS cannot authenticate the caller (aiortc would
    # accept the offer and fail later); without ICE credentials nothing connects.
    for media in sending:
        if media.dtls is None or not media.dtls.fingerprints:
            raise OfferError("the offer has no DTLS fingerprint")
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise OfferError("the offer has no ICE credentials")


def _opus_capability() -> list:
    capabilities = RTCRtpSender.getCapabilities("audio")
    return [c for c in capabilities.codecs if c.mimeType.lower() == "audio/opus"]


class Call:
    """A conversation's peer connection, echo and recording."""

    def __init__(
        self,
        conversation_id: str,
        settings: CallSettings,
        on_end: Callable[[Call], Awaitable[None] | None] | None = None,
        on_active: Callable[[Call], None] | None = None,
    ) -> None:
        self.conversation_id = conversation_id
        self.settings = settings
        self.on_end = on_end
        self.on_active = on_active
        self.recording_path = settings.recordings_dir / conversation_id / RECORDING_FILENAME
        self.state = "new"
        self.end_reason: EndReason | None = None
        self.started_at = time.time()
        self.ended_at: float | None = None
        self.last_packet_at = time.monotonic()
        self.packets_received = 0
        self.bytes_received = 0
        self.echo = EchoTrack(settings.echo_queue_size)
        self.recorder: Recorder | None = None
        self.recording_removed = False
        """True when the call ended without audio and its empty file was deleted."""
        self.pc: RTCPeerConnection | None = None
        self._tap: OpusTap | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing: asyncio.Future[None] | None = None
        self._end_requested: EndReason | None = None
        self._ended = asyncio.Event()

    # -- set-up -----------------------------------------------------------

    async def answer(self, offer_sdp: str) -> str:
        """Negotiate: returns the SDP answer, or raises :class:`OfferError`.

        Any failure leaves nothing behind (no peer connection, no file).
        """
        if self.state != "new":
            raise RuntimeError("answer() called twice")
        self.state = "negotiating"
        try:
            validate_offer(offer_sdp)
            pc = RTCPeerConnection(rtc_configuration(self.settings.call_ice_servers()))
            self.pc = pc
            # Our transceiver exists before the offer is applied, so it takes the
            # offer's first audio section with our codec preference (Opus only;
            # otherwise aiortc follows the caller's order and could pick PCMU).
            transceiver = pc.addTransceiver(self.echo, direction="sendrecv")
            transceiver.setCodecPreferences(_opus_capability())
            self._tap = install_opus_tap(transceiver.receiver, self._on_packet)
            offer_sdp = without_denied_candidates(offer_sdp, self.settings.denied_peer_networks)
            try:
                await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            except Exception as exc:  # everything here is about the caller's SDP
                raise OfferError(f"offer rejected: {exc}") from exc
            if transceiver.mid is None:
                raise OfferError("the offer's audio section could not be used")
            for other in pc.getTransceivers():
                if other is not transceiver:
                    other.direction = "inactive"  # extra sections: no decoding, no echo
            remote_track = transceiver.receiver.track

            pc.on("connectionstatechange", self._on_connection_state)
            apply_ice_policy(pc, self.settings.ice_policy)
            writer = await asyncio.to_thread(self._open_writer)
            self.recorder = Recorder(
                writer,
                queue_size=self.settings.record_queue_size,
                max_bytes=self.settings.recording_max_bytes,
            )
            self.recorder.start()

            await pc.setLocalDescription(await pc.createAnswer())
        except BaseException:
            await self._abort()
            raise
        self.state = "connecting"
        self.started_at = time.time()
        self.last_packet_at = time.monotonic()
        self._spawn(self._watchdog(), "watchdog")
        if remote_track is not None:
            self._spawn(self._watch_remote_track(remote_track), "remote-track")
        if self._end_requested is not None:
            self.end(self._end_requested)
        return pc.localDescription.sdp

    def _open_writer(self) -> OggOpusWriter:
        self.recording_path.parent.mkdir(parents=True, exist_ok=True)
        return OggOpusWriter(
            self.recording_path,
            channels=self.settings.channels,
            packets_per_page=self.settings.packets_per_page,
            comments={"CONVERSATION_ID": self.conversation_id},
        )

    async def _abort(self) -> None:
        """Undo a failed :meth:`answer`: close the connection, remove the file."""
        self.state = "failed"
        if self.pc is not None:
            with contextlib.suppress(Exception):
                await self.pc.close()
        if self.recorder is not None:
            await self.recorder.close()
            await asyncio.to_thread(self._remove_recording)
        self._ended.set()

    def _remove_recording(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.recording_path.unlink()
        with contextlib.suppress(OSError):
            self.recording_path.parent.rmdir()
        self.recording_removed = True

    # -- media ------------------------------------------------------------

    def _on_packet(self, packet: ReceivedPacket) -> None:
        self.last_packet_at = time.monotonic()
        self.packets_received += 1
        self.bytes_received += len(packet.payload)
        if self.state == "connecting":
            self.state = "active"
            if self.on_active is not None:
                try:
                    self.on_active(self)
                except Exception:
                    log.exception("on_active callback of call %s failed", self.conversation_id)
        self.echo.push(packet)
        if self.recorder is not None:
            self.recorder.push(packet)

    # -- ending -----------------------------------------------------------

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(f"call:{self.conversation_id}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def end(self, reason: EndReason) -> None:
        """Start ending the call (from an event handler); :meth:`close` awaits it."""
        if self._closing is not None or self._ended.is_set():
            return
        if self.state in ("connecting", "active"):
            self.end_reason = reason
            self._closing = asyncio.ensure_future(self._finalize())
        elif self.state == "negotiating":
            # answer() is still running: it ends the call as soon as it is done.
            self._end_requested = reason
        elif self.state == "new":
            self.end_reason = reason
            self.state = "ended"
            self.ended_at = time.time()
            self._ended.set()

    async def close(self, reason: EndReason = EndReason.CLOSED) -> CallStats:
        """End the call (idempotent) and return its final statistics."""
        self.end(reason)
        if self._closing is not None:
            await asyncio.shield(self._closing)
        await self._ended.wait()
        return self.stats()

    async def wait_ended(self) -> CallStats:
        await self._ended.wait()
        return self.stats()

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def _on_connection_state(self) -> None:
        assert self.pc is not None
        state = self.pc.connectionState
        if state == "failed":
            self.end(EndReason.ICE_FAILED)
        elif state == "closed":
            self.end(EndReason.HANGUP)

    async def _watch_remote_track(self, track: MediaStreamTrack) -> None:
        """The remote track ends on RTCP BYE / DTLS close: the caller hung up.

        With the decoder disabled by the tap, ``recv()`` returns nothing until
        then (see ``app.compat.aiortc_rtp_tap._DiscardingDecoderQueue``).
        """
        try:
            while True:
                await track.recv()
        except MediaStreamError:
            self.end(EndReason.HANGUP)

    async def _watchdog(self) -> None:
        interval = self.settings.watchdog_interval
        answered_at = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            if self.recorder is not None:
                try:
                    self.recorder.maintenance()
                except OSError:
                    log.exception("recording maintenance failed")
                    self.end(EndReason.ERROR)
                    return
            reason = self._limit_reached(time.monotonic(), answered_at)
            if reason is not None:
                self.end(reason)
                return

    def _limit_reached(self, now: float, answered_at: float) -> EndReason | None:
        """Why the call must end now, if it must (checked by the watchdog)."""
        settings = self.settings
        if self.state == "connecting" and now - answered_at > settings.connect_timeout:
            return EndReason.NOT_CONNECTED
        if now - self.last_packet_at > settings.inactivity_timeout:
            return EndReason.INACTIVITY
        if now - answered_at > settings.max_call_seconds:
            return EndReason.MAX_DURATION
        if self.recorder is not None and self.recorder.full:
            return EndReason.RECORDING_LIMIT
        return None

    async def _finalize(self) -> None:
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        self.echo.stop()
        if self.pc is not None:
            try:
                await asyncio.wait_for(self.pc.close(), self.settings.close_timeout)
            except Exception:  # includes TimeoutError
                log.exception("closing the peer connection of %s", self.conversation_id)
        if self.recorder is not None:
            try:
                await self.recorder.close()
                if self.recorder.packets_written == 0:
                    # Not one packet: a headers-only file is no recording (and
                    # FFmpeg cannot even open one), so leave nothing behind.
                    await asyncio.to_thread(self._remove_recording)
            except OSError:
                log.exception("finalizing recording %s", self.recording_path)
                self.end_reason = EndReason.ERROR
        self.ended_at = time.time()
        self.state = "failed" if self.end_reason and self.end_reason.failed else "ended"
        self._ended.set()
        log.info(
            "call %s ended (%s): %d packets, %d recording bytes",
            self.conversation_id,
            self.end_reason,
            self.packets_received,
            self.recorder.bytes_written if self.recorder else 0,
        )
        if self.on_end is not None:
            try:
                result = self.on_end(self)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("on_end callback of call %s failed", self.conversation_id)

    # -- reporting --------------------------------------------------------

    def stats(self) -> CallStats:
        end = self.ended_at if self.ended_at is not None else time.time()
        recorder = self.recorder
        return CallStats(
            conversation_id=self.conversation_id,
            state=self.state,
            end_reason=self.end_reason.value if self.end_reason else None,
            started_at=self.started_at,
            ended_at=self.ended_at,
            duration=max(0.0, end - self.started_at),
            packets_received=self.packets_received,
            bytes_received=self.bytes_received,
            echo_sent=self.echo.sent,
            echo_dropped=self.echo.dropped,
            recorded_packets=recorder.packets_written if recorder else 0,
            recording_bytes=recorder.bytes_written if recorder else 0,
            recording_duration=recorder.duration if recorder else 0.0,
            record_dropped=recorder.dropped if recorder else 0,
            concealed_frames=recorder.concealed_frames if recorder else 0,
            recording_path="" if self.recording_removed else str(self.recording_path),
        )
