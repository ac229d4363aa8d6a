"""Pieces of the media service that need no server: offer checks, messages, settings."""

from __future__ import annotations

import pytest

from app.config import ConfigError, Settings
from app.media.engine.worker import call_settings_from
from app.media.protocol import Answer, Hangup, Offer, ProtocolError, is_conversation_id
from app.media.registry import free_slots
from app.media.sdp import InvalidOffer, check_offer

OFFER = """v=0
o=- 1 1 IN IP4 0.0.0.0
s=-
t=0 0
a=fingerprint:sha-256 AB:CD
a=group:BUNDLE 0
m=audio 9 UDP/TLS/RTP/SAVPF 111 0
c=IN IP4 0.0.0.0
a=mid:0
a=ice-ufrag:abcd
a=ice-pwd:0123456789abcdefghijkl
a=sendrecv
a=rtpmap:111 opus/48000/2
a=rtpmap:0 PCMU/8000
"""


def test_a_browser_like_offer_passes_with_session_level_fingerprint() -> None:
    check_offer(OFFER)
    check_offer(OFFER.replace("\n", "\r\n"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: "", "must start with v=0"),
        (lambda s: s.replace("v=0", "v=1"), "must start with v=0"),
        (lambda s: s.replace("m=audio 9", "m=video 9"), "no audio"),
        (lambda s: s.replace("m=audio 9", "m=audio 0"), "no audio"),
        (lambda s: s.replace("a=sendrecv", "a=recvonly"), "does not send audio"),
        (lambda s: s.replace("a=rtpmap:111 opus/48000/2\n", ""), "Opus"),
        (lambda s: s.replace("a=fingerprint:sha-256 AB:CD\n", ""), "fingerprint"),
        (lambda s: s.replace("a=ice-pwd:0123456789abcdefghijkl\n", ""), "ICE credentials"),
        (lambda s: s + "garbage line\n", "malformed SDP line"),
        (lambda s: s.replace("m=audio 9 UDP", "m=audio x UDP"), "malformed media line"),
    ],
)
def test_unusable_offers(change, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidOffer, match=message):
        check_offer(change(OFFER))


def test_a_second_audio_section_can_be_the_usable_one() -> None:
    muted = OFFER.replace("a=sendrecv", "a=inactive")
    extra = "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:1\na=sendonly\na=rtpmap:111 opus/48000/2\n"
    with pytest.raises(InvalidOffer):
        check_offer(muted)
    # ICE credentials of the first section do not count for the second one
    with pytest.raises(InvalidOffer, match="ICE"):
        check_offer(muted + extra)
    check_offer(muted + extra + "a=ice-ufrag:wxyz\na=ice-pwd:0123456789abcdefghijkl\n")


def test_messages_round_trip_and_reject_garbage() -> None:
    offer = Offer("a" * 32, "v=0", 7, "voxhub:media:reply:x", 123.5)
    assert Offer.from_json(offer.to_json()) == offer
    answer = Answer("a" * 32, "w1", sdp="v=0")
    assert Answer.from_json(answer.to_json()) == answer
    hangup = Hangup("a" * 32, "k")
    assert Hangup.from_json(hangup.to_json()) == hangup
    for raw in ("not json", "[]", '{"sdp": "x"}', offer.to_json().replace("a" * 32, "../etc")):
        with pytest.raises(ProtocolError):
            Offer.from_json(raw)
    with pytest.raises(ProtocolError):
        Hangup.from_json('{"op": "reboot"}')
    assert is_conversation_id("0123456789abcdef0123456789abcdef")
    assert not is_conversation_id("0123456789ABCDEF0123456789abcdef")
    assert not is_conversation_id("../0123456789abcdef0123456789abc")
    # `$` would let a trailing newline through into a recording's file name.
    assert not is_conversation_id("0123456789abcdef0123456789abcdef\n")


def test_free_slots_count_only_room_left() -> None:
    workers = {"a": {"calls": 2, "capacity": 2}, "b": {"calls": 1, "capacity": 3}, "c": {}}
    assert free_slots(workers) == 2
    assert free_slots({"a": {"calls": 5, "capacity": 2}}) == 0


def test_call_settings_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env(
        {
            "RECORDINGS_DIR": str(tmp_path),
            "STUN_SERVERS": "stun:stun.internal:3478",
            "TURN_URL": "turn:turn.internal:3478",
            "TURN_USERNAME": "u",
            "TURN_PASSWORD": "p",
            "MEDIA_HOST_ADDRESSES": "127.0.0.1,10.1.2.3",
            "MEDIA_UDP_PORTS": "40000-40100",
            "MEDIA_INACTIVITY_TIMEOUT": "7s",
        },
        dotenv=False,
    )
    call = call_settings_from(settings)
    assert call.recordings_dir == tmp_path
    assert [s.urls for s in call.ice_servers] == [
        "stun:stun.internal:3478",
        "turn:turn.internal:3478",
    ]
    assert call.ice_policy.host_addresses == ("127.0.0.1", "10.1.2.3")
    assert call.ice_policy.udp_ports == (40000, 40100)
    assert call.inactivity_timeout == 7.0
    # no servers configured: an empty list, never aiortc's public default
    assert call_settings_from(Settings.from_env({}, dotenv=False)).ice_servers == []
    with pytest.raises(ConfigError, match="MEDIA_HOST_ADDRESSES"):
        call_settings_from(Settings.from_env({"MEDIA_HOST_ADDRESSES": "pod.local"}, dotenv=False))
