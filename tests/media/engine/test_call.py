"""A real aiortc caller on 127.0.0.1 against :class:`app.media.engine.call.Call`."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest
from aioice import stun
from aiortc import RTCPeerConnection

from app.media.engine.call import Call, CallSettings, EndReason, OfferError, validate_offer
from app.media.engine.ice import rtc_configuration
from app.media.engine.ogg_writer import DEFAULT_PRE_SKIP, HEADER_TYPE_EOS
from tests.media.opus_samples import parse_pages
from tests.media.peers import (
    LOOPBACK,
    SAMPLE_RATE,
    ClientPeer,
    SineTrack,
    call_with_tone,
    decode_ogg,
    mono_samples,
    tone_ratio,
    wait_for,
)


def settings(tmp_path: Path, **overrides: object) -> CallSettings:
    values: dict[str, object] = {"recordings_dir": tmp_path, "ice_policy": LOOPBACK}
    values.update(overrides)
    return CallSettings(**values)  # type: ignore[arg-type]


async def test_echo_and_recording_of_a_tone(tmp_path: Path) -> None:
    call = Call("conv-tone", settings(tmp_path))
    client = await call_with_tone(call.answer, frequency=440.0, seconds=3.0)
    try:
        # the echo of the last packets needs a moment to come back
        await wait_for(lambda: len(client.echoed) >= 140, 5.0, "echoed frames")
        assert call.state == "active"
    finally:
        await client.close()
    stats = await asyncio.wait_for(call.wait_ended(), 10.0)

    assert stats.end_reason == EndReason.HANGUP
    assert stats.state == "ended"
    assert stats.echo_dropped == 0
    assert stats.packets_received >= 145

    echoed = mono_samples(client.echoed)
    steady = echoed[SAMPLE_RATE // 2 : -SAMPLE_RATE // 4]  # skip codec start-up
    assert len(steady) > SAMPLE_RATE
    assert tone_ratio(steady, 440.0) > 100

    path = tmp_path / "conv-tone" / "user_audio.ogg"
    assert Path(stats.recording_path) == path
    assert stats.recording_bytes == path.stat().st_size
    codec, rate, samples = decode_ogg(str(path))
    assert codec == "opus"
    assert rate == 48_000
    sent = client.track.seconds_sent
    assert abs(samples / rate - sent) < 0.5, (samples / rate, sent)
    assert abs(stats.recording_duration - samples / rate) < 0.01


async def test_inactivity_ends_the_call_and_finalizes_the_file(tmp_path: Path) -> None:
    call = Call("conv-quiet", settings(tmp_path, inactivity_timeout=1.0))
    client = await call_with_tone(call.answer, seconds=1.0)  # then the caller goes silent
    try:
        stats = await asyncio.wait_for(call.wait_ended(), 5.0)
        assert stats.end_reason == EndReason.INACTIVITY
        assert stats.state == "ended"
    finally:
        await client.close()
    path = tmp_path / "conv-quiet" / "user_audio.ogg"
    assert parse_pages(path.read_bytes())[-1].header_type == HEADER_TYPE_EOS
    _, _, samples = decode_ogg(str(path))
    assert abs(samples / 48_000 - 1.0) < 0.1


async def test_explicit_close_mid_call(tmp_path: Path) -> None:
    call = Call("conv-close", settings(tmp_path))
    client = ClientPeer(SineTrack(seconds=10.0))
    try:
        await client.accept(await call.answer(await client.offer()))
        await wait_for(lambda: call.packets_received >= 50, 5.0, "a second of audio")
        stats = await asyncio.wait_for(call.close(), 5.0)
        assert stats.end_reason == EndReason.CLOSED and stats.state == "ended"
        assert (await call.close()) == stats  # idempotent
        await wait_for(lambda: client.pc.connectionState == "closed", 5.0, "client sees close")
    finally:
        await client.close()
    path = tmp_path / "conv-close" / "user_audio.ogg"
    assert parse_pages(path.read_bytes())[-1].header_type == HEADER_TYPE_EOS
    _, _, samples = decode_ogg(str(path))
    assert samples == stats.recorded_packets * 960 - DEFAULT_PRE_SKIP


class RefusingStunPeer(asyncio.DatagramProtocol):
    """Answers every ICE connectivity check with an authenticated 400 error.

    Stands in for a caller whose checks can never succeed (wrong network, broken
    NAT), which makes the server's ICE agent fail at once instead of after ~30 s
    of retransmissions.
    """

    def __init__(self, password: str) -> None:
        self.password = password.encode()
        self.refused = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            request = stun.parse_message(data)
        except ValueError:
            return
        if request.message_class != stun.Class.REQUEST:
            return
        response = stun.Message(
            message_method=request.message_method,
            message_class=stun.Class.ERROR,
            transaction_id=request.transaction_id,
        )
        response.attributes["ERROR-CODE"] = (400, "Bad Request")
        response.add_message_integrity(self.password)
        response.add_fingerprint()
        self.transport.sendto(bytes(response), addr)  # type: ignore[attr-defined]
        self.refused += 1


async def test_ice_failure_ends_the_call_as_failed(tmp_path: Path) -> None:
    call = Call("conv-ice", settings(tmp_path))
    client = ClientPeer(SineTrack(seconds=1.0))
    loop = asyncio.get_running_loop()
    transport = None
    try:
        offer = await client.offer()
        password = re.search(r"a=ice-pwd:(\S+)", offer).group(1)  # type: ignore[union-attr]
        transport, refuser = await loop.create_datagram_endpoint(
            lambda: RefusingStunPeer(password), local_addr=("127.0.0.1", 0)
        )
        port = transport.get_extra_info("sockname")[1]
        offer = re.sub(r"(a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1) \d+", rf"\1 {port}", offer)
        await call.answer(offer)
        stats = await asyncio.wait_for(call.wait_ended(), 10.0)
    finally:
        if transport is not None:
            transport.close()
        await client.close()
    assert refuser.refused >= 1
    assert stats.end_reason == EndReason.ICE_FAILED and stats.state == "failed"
    # no audio ever arrived: no empty recording is left behind
    assert stats.recording_path == "" and stats.recorded_packets == 0
    assert os.listdir(tmp_path) == []


async def test_an_offer_without_candidates_ends_by_inactivity(tmp_path: Path) -> None:
    # aioice never even starts checks without a remote candidate: only the
    # inactivity timeout ends such a call.
    call = Call("conv-nocand", settings(tmp_path, inactivity_timeout=1.0))
    client = ClientPeer(SineTrack(seconds=1.0))
    try:
        offer = "\r\n".join(
            line
            for line in (await client.offer()).split("\r\n")
            if not line.startswith("a=candidate:")
        )
        await call.answer(offer)
        stats = await asyncio.wait_for(call.wait_ended(), 5.0)
    finally:
        await client.close()
    assert stats.end_reason == EndReason.INACTIVITY and stats.packets_received == 0
    assert os.listdir(tmp_path) == []


async def _offer(kind: str = "audio", direction: str = "sendrecv") -> str:
    pc = RTCPeerConnection(rtc_configuration([]))
    pc.addTransceiver(kind, direction=direction)
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


async def test_unusable_offers_are_rejected_without_leftovers(tmp_path: Path) -> None:
    audio = await _offer()
    pcmu_only = "\r\n".join(
        line
        for line in audio.replace(" 96 9 0 8", " 0").split("\r\n")
        if not line.startswith(("a=rtpmap:96", "a=rtpmap:9 ", "a=rtpmap:8 "))
    )
    no_fingerprint = "\r\n".join(
        line for line in audio.split("\r\n") if not line.startswith("a=fingerprint")
    )
    no_ice_password = "\r\n".join(
        line for line in audio.split("\r\n") if not line.startswith("a=ice-pwd")
    )
    cases = {
        "garbage": "hello, I am not SDP",
        "empty": "",
        "truncated": "v=0\r\nm=audio",
        "video-only": await _offer("video"),
        "recvonly": await _offer(direction="recvonly"),
        "no-opus": pcmu_only,
        "no-fingerprint": no_fingerprint,
        "no-ice-password": no_ice_password,
    }
    assert "opus" not in pcmu_only and "PCMU" in pcmu_only
    for name, sdp in cases.items():
        call = Call(f"conv-{name}", settings(tmp_path))
        with pytest.raises(OfferError):
            await call.answer(sdp)
        assert call.state == "failed", name
        assert call.ended
    assert os.listdir(tmp_path) == []
    validate_offer(audio)


async def test_close_before_answer_does_not_hang(tmp_path: Path) -> None:
    call = Call("conv-never", settings(tmp_path))
    stats = await asyncio.wait_for(call.close(EndReason.SHUTDOWN), 1.0)
    assert stats.end_reason == EndReason.SHUTDOWN and stats.packets_received == 0
