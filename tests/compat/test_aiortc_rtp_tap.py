"""The private aiortc hook: version pin, the private names it uses, and packets tapped with
the decoder off. Fails loudly when aiortc changes what the tap relies on."""

from __future__ import annotations

import asyncio
import inspect

import aiortc
import aiortc.rtcrtpreceiver
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import get_decoder
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpreceiver import RTCRtpReceiver

import app.compat
from app.compat import UnsupportedVersion, pin
from app.compat.aioice_host_pinning import apply_ice_policy
from app.compat.aiortc_rtp_tap import (
    HANDLER_PARAMETERS,
    RECEIVER_ATTRS,
    SUPPORTED,
    ReceivedPacket,
    check_private_api,
    install_opus_tap,
)
from app.media.engine.ice import rtc_configuration
from app.media.engine.opus import packet_samples
from tests.media.peers import LOOPBACK, ClientPeer, SineTrack, wait_for


def test_installed_aiortc_is_the_verified_one() -> None:
    assert aiortc.__version__.startswith("1.16.")
    assert aiortc.__version__.startswith(SUPPORTED)
    pin("aiortc", SUPPORTED, "app.compat.aiortc_rtp_tap")
    check_private_api()


@pytest.mark.parametrize("version", ["1.17.0", "1.15.2", "2.0.0", "0.9.28", "main"])
def test_other_aiortc_versions_are_refused(version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.compat, "version", lambda name: version)
    with pytest.raises(UnsupportedVersion, match="aiortc"):
        pin("aiortc", SUPPORTED, "app.compat.aiortc_rtp_tap")


def test_a_changed_receiver_hook_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    async def handle(self: object, packet: object) -> None:  # lost arrival_time_ms
        return None

    monkeypatch.setattr(RTCRtpReceiver, "_handle_rtp_packet", handle)
    with pytest.raises(UnsupportedVersion, match="_handle_rtp_packet"):
        check_private_api()


async def test_the_private_names_used_still_exist() -> None:
    """What a receiver must have for the tap: the hooked method (its shape), the private
    decoder queue, start flag and enabled flag; and a decoder thread that takes its frames
    with `get()` from that queue and stops on `None`, which the replacement queue relies on."""
    handler = RTCRtpReceiver._handle_rtp_packet
    assert tuple(inspect.signature(handler).parameters) == HANDLER_PARAMETERS
    assert inspect.iscoroutinefunction(handler)
    pc = RTCPeerConnection(rtc_configuration([]))
    try:
        receiver = pc.addTransceiver("audio").receiver
        for name in RECEIVER_ATTRS:
            assert hasattr(receiver, name), name
    finally:
        await pc.close()
    worker = inspect.getsource(aiortc.rtcrtpreceiver.decoder_worker)
    assert "input_q.get()" in worker and "if task is None" in worker
    receive = inspect.getsource(RTCRtpReceiver.receive)
    assert "self.__decoder_queue" in receive and "self.__started = True" in receive


async def test_install_refuses_a_second_tap_and_a_missing_decoder_queue() -> None:
    pc = RTCPeerConnection(rtc_configuration([]))
    try:
        receiver = pc.addTransceiver("audio").receiver
        install_opus_tap(receiver, lambda packet: None)
        with pytest.raises(RuntimeError, match="already installed"):
            install_opus_tap(receiver, lambda packet: None)
        other = pc.addTransceiver("audio").receiver
        del other._RTCRtpReceiver__decoder_queue  # what a refactored aiortc would look like
        with pytest.raises(UnsupportedVersion, match="decoder queue"):
            install_opus_tap(other, lambda packet: None)
    finally:
        await pc.close()


async def test_tap_gets_opus_packets_and_nothing_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoders: list[str] = []

    def counting_get_decoder(codec: aiortc.RTCRtpCodecParameters) -> object:
        decoders.append(codec.mimeType)
        return get_decoder(codec)

    monkeypatch.setattr(aiortc.rtcrtpreceiver, "get_decoder", counting_get_decoder)

    server = RTCPeerConnection(rtc_configuration([]))
    receiver = server.addTransceiver("audio", direction="recvonly").receiver
    tapped: list[ReceivedPacket] = []
    tap = install_opus_tap(receiver, tapped.append)
    client = ClientPeer(SineTrack(seconds=1.0))
    try:
        await server.setRemoteDescription(RTCSessionDescription(await client.offer(), "offer"))
        apply_ice_policy(server, LOOPBACK)
        await server.setLocalDescription(await server.createAnswer())
        await client.accept(server.localDescription.sdp)
        await client.wait_sent()
        await wait_for(lambda: len(tapped) >= 50, 3.0, "50 tapped packets")

        assert tap.opus_payload_types and tap.packets == len(tapped)
        assert len({p.ssrc for p in tapped}) == 1
        for before, after in zip(tapped, tapped[1:], strict=False):
            assert after.sequence_number == (before.sequence_number + 1) & 0xFFFF
            assert after.timestamp == (before.timestamp + 960) & 0xFFFFFFFF
        assert all(packet_samples(p.payload) == 960 for p in tapped)
        # The decoder thread ran but never got a frame: no decoder, no PCM.
        assert decoders == []
        track = receiver.track
        assert track._queue.qsize() == 0

        # RTCP BYE / DTLS close still ends the remote track, as in stock aiortc.
        await client.close()
        with pytest.raises(MediaStreamError):
            await asyncio.wait_for(track.recv(), 5.0)
    finally:
        await client.close()
        await server.close()
