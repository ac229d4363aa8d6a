"""Seed 004's signaling contract, as its real clients use it, on two workers and real Redis:
relay without `to`, the original's validation texts and order, `call_*`, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fixtures.voxhub_server import VoxhubServer
from tests.match.helpers import ANSWER_SDP, CANDIDATE, OFFER_SDP, pair
from tests.ws.client import WsClient, close_all, on_two_workers

GO_ZERO_TIME = "0001-01-01T00:00:00Z"


@pytest.fixture
async def partners(cluster: VoxhubServer) -> AsyncIterator[tuple[WsClient, WsClient, str]]:
    """(callee, caller, room id): matched, one socket on each worker."""
    callee, caller = await on_two_workers(cluster.ws_url)
    found, _ = await pair(callee, caller)
    yield callee, caller, found["room_id"]
    await close_all([callee, caller])


@pytest.fixture
async def loner(cluster: VoxhubServer) -> AsyncIterator[WsClient]:
    """A socket in no room."""
    client = await WsClient.connect(cluster.ws_url)
    yield client
    await client.close()


async def test_offer_answer_candidates_without_to_across_workers(
    partners: tuple[WsClient, WsClient, str],
) -> None:
    """The web client's call set-up: nobody sends `to`; the server fills `from`/`to` and
    passes every payload through as sent, unknown fields included."""
    callee, caller, _ = partners
    offer = {"type": "offer", "sdp": OFFER_SDP, "x-client": {"build": [4, 2], "tag": None}}
    await caller.send({"type": "offer", "payload": offer, "timestamp": "2025-01-01T10:00:00Z"})
    got = await callee.expect("offer")
    assert got["payload"] == offer
    assert (got["from"], got["to"]) == (caller.user_id, callee.user_id)
    assert got["timestamp"].endswith("Z") and not got["timestamp"].startswith("2025-01-01T10")

    answer = {"type": "answer", "sdp": ANSWER_SDP}
    await callee.send({"type": "answer", "payload": answer})
    got = await caller.expect("answer")
    assert (got["payload"], got["from"], got["to"]) == (answer, callee.user_id, caller.user_id)

    for sender, receiver in ((caller, callee), (callee, caller)):
        for index in range(3):
            candidate = {**CANDIDATE, "sdpMLineIndex": index, "seq": index}
            await sender.send({"type": "ice_candidate", "payload": candidate})
            got = await receiver.expect("ice_candidate")
            assert got["payload"] == candidate
            assert (got["from"], got["to"]) == (sender.user_id, receiver.user_id)
    assert set(got) == {"type", "payload", "from", "to", "timestamp"}


async def test_go_frames_are_accepted_and_a_client_from_never_passes(
    partners: tuple[WsClient, WsClient, str],
) -> None:
    """The Go integration test's frame shape: `payload: null`, Go's zero time, a `from`; and
    `to` naming the partner is accepted too."""
    callee, caller, _ = partners
    await caller.send(
        {
            "type": "offer",
            "payload": {"type": "offer", "sdp": OFFER_SDP},
            "timestamp": GO_ZERO_TIME,
            "from": callee.user_id,
            "to": callee.user_id,
        }
    )
    got = await callee.expect("offer")
    assert got["from"] == caller.user_id and got["timestamp"] != GO_ZERO_TIME
    await callee.send(
        {"type": "get_ice_servers", "payload": None, "timestamp": GO_ZERO_TIME, "from": "x"}
    )
    assert (await callee.expect("ice_servers"))["payload"] == {"iceServers": []}


def _sdp_without(*lines: str) -> str:
    """A minimal audio SDP lacking the lines starting with `lines`."""
    full = ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "m=audio 9 RTP/AVP 0"]
    return "\r\n".join(line for line in full if not line.startswith(lines)) + "\r\n"


SDP_REASONS = [
    pytest.param(None, "payload must be a JSON object", id="null"),
    pytest.param("v=0", "payload must be a JSON object", id="string"),
    pytest.param({"type": "{kind}"}, "missing 'sdp' field in payload", id="no-sdp"),
    pytest.param({"sdp": None}, "SDP must be a string", id="sdp-null"),
    pytest.param({"sdp": ["v=0"]}, "SDP must be a string", id="sdp-list"),
    pytest.param({"sdp": ""}, "SDP cannot be empty", id="empty"),
    pytest.param({"type": "pranswer", "sdp": ""}, "SDP cannot be empty", id="empty-before-type"),
    pytest.param(
        {"type": "{other}", "sdp": OFFER_SDP},
        "expected type '{kind}', got '{other}'",
        id="wrong-type",
    ),  # fmt: skip
    pytest.param(
        {"type": "{kind}", "sdp": " " + OFFER_SDP}, "SDP must start with 'v=0'", id="no-version"
    ),  # fmt: skip
    pytest.param(
        {"sdp": _sdp_without("o=")}, "SDP missing required line starting with 'o='", id="no-origin"
    ),  # fmt: skip
    pytest.param(
        {"sdp": _sdp_without("s=")}, "SDP missing required line starting with 's='", id="no-session"
    ),  # fmt: skip
    pytest.param(
        {"sdp": _sdp_without("t=")}, "SDP missing required line starting with 't='", id="no-timing"
    ),  # fmt: skip
    pytest.param(
        {"sdp": _sdp_without("o=", "t=")},
        "SDP missing required line starting with 'o='",
        id="origin-before-timing",
    ),
    pytest.param(
        {"sdp": _sdp_without("m=") + "m=video 9 RTP/AVP 96\r\n"},
        "SDP must contain at least one media line (m=audio or m=application)",
        id="video-only",
    ),
]
OTHER = {"offer": "answer", "answer": "offer"}


def _fill(value: object, kind: str) -> object:
    if isinstance(value, dict):
        return {key: _fill(item, kind) for key, item in value.items()}
    if isinstance(value, str):
        return value.replace("{kind}", kind).replace("{other}", OTHER[kind])
    return value


@pytest.mark.parametrize("kind", ["offer", "answer"])
@pytest.mark.parametrize(("payload", "reason"), SDP_REASONS)
async def test_each_sdp_reason_in_the_originals_words(
    partners: tuple[WsClient, WsClient, str], kind: str, payload: object, reason: str
) -> None:
    callee, caller, _ = partners
    await caller.send({"type": kind, "payload": _fill(payload, kind)})
    error = await caller.expect_error("invalid_sdp")
    assert error["payload"]["message"] == f"Invalid SDP {kind} format: {_fill(reason, kind)}"
    await callee.silent(0.1)


@pytest.mark.parametrize(
    "payload",
    [
        {"type": 1, "sdp": _sdp_without()},  # a type that is no string is not looked at
        {"sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 DTLS/SCTP\r\n"},
    ],
    ids=["non-string-type", "data-channel-only"],
)
async def test_sdps_the_original_accepted_are_relayed(
    partners: tuple[WsClient, WsClient, str], payload: dict
) -> None:
    callee, caller, _ = partners
    await caller.send({"type": "offer", "payload": payload})
    assert (await callee.expect("offer"))["payload"] == payload


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [CANDIDATE],
        {"sdpMid": "0", "sdpMLineIndex": 0},
        {**CANDIDATE, "candidate": 7},
        {**CANDIDATE, "candidate": ""},
        {**CANDIDATE, "candidate": "842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx"},
        {**CANDIDATE, "sdpMLineIndex": "0"},
        {**CANDIDATE, "sdpMLineIndex": True},
        {**CANDIDATE, "sdpMLineIndex": None},
        {**CANDIDATE, "sdpMid": None},
        {**CANDIDATE, "sdpMid": 0},
    ],
    ids=[
        "null", "list", "no-candidate", "candidate-number", "candidate-empty", "no-prefix",
        "index-string", "index-bool", "index-null", "mid-null", "mid-number",
    ],
)  # fmt: skip
async def test_each_bad_candidate_is_refused_in_the_originals_words(
    partners: tuple[WsClient, WsClient, str], payload: object
) -> None:
    callee, caller, _ = partners
    await caller.send({"type": "ice_candidate", "payload": payload})
    error = await caller.expect_error("invalid_candidate")
    assert error["payload"]["message"] == "Invalid ICE candidate format"
    await callee.silent(0.1)


async def test_a_candidate_without_the_optional_fields_is_relayed(
    partners: tuple[WsClient, WsClient, str],
) -> None:
    callee, caller, _ = partners
    bare = {"candidate": CANDIDATE["candidate"]}
    await caller.send({"type": "ice_candidate", "payload": bare})
    assert (await callee.expect("ice_candidate"))["payload"] == bare


@pytest.mark.parametrize(
    ("kind", "payload"),
    [("offer", None), ("answer", {"sdp": ""}), ("ice_candidate", {}), ("call_start", None)],
)
async def test_a_wrong_to_wins_over_a_bad_payload(
    partners: tuple[WsClient, WsClient, str], loner: WsClient, kind: str, payload: object
) -> None:
    """Checked in the original's order: `to` first, whatever the payload, in a room or not."""
    callee, caller, _ = partners
    for sender, target in ((caller, loner.user_id), (loner, caller.user_id), (caller, "")):
        await sender.send({"type": kind, "payload": payload, "to": target})
        error = await sender.expect_error("not_your_partner")
        assert error["payload"]["message"] == "'to' must be your current partner's user id"
    await callee.silent(0.1)
    await loner.silent(0.1)


async def test_without_a_room_the_payload_is_checked_before_the_partner(
    loner: WsClient,
) -> None:
    await loner.send({"type": "offer", "payload": {"sdp": "x"}})
    await loner.expect_error("invalid_sdp")
    await loner.send({"type": "ice_candidate", "payload": {"candidate": "x"}})
    await loner.expect_error("invalid_candidate")


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("offer", {"type": "offer", "sdp": OFFER_SDP}, "No partner found for WebRTC offer"),
        ("answer", {"type": "answer", "sdp": ANSWER_SDP}, "No partner found for WebRTC answer"),
        ("call_start", {}, "No partner found to start call"),
        ("call_accept", None, "No partner found to accept call"),
    ],
)
async def test_no_partner_texts(loner: WsClient, kind: str, payload: object, message: str) -> None:
    await loner.send({"type": kind, "payload": payload})
    error = await loner.expect_error("no_partner")
    assert error["payload"]["message"] == message


@pytest.mark.parametrize("kind", ["ice_candidate", "call_reject", "call_end"])
async def test_without_a_room_these_are_dropped_silently(loner: WsClient, kind: str) -> None:
    await loner.send({"type": kind, "payload": CANDIDATE})
    await loner.silent(0.3)


async def test_a_late_candidate_after_the_partner_left_is_dropped_silently(
    partners: tuple[WsClient, WsClient, str],
) -> None:
    callee, caller, room = partners
    await callee.send({"type": "disconnect", "payload": {}})
    left = await caller.expect("partner_disconnected")
    assert left["payload"] == {"reason": "Partner left the conversation", "room_id": room}
    for _ in range(5):
        await caller.send({"type": "ice_candidate", "payload": CANDIDATE})
    await caller.send({"type": "offer", "payload": {"type": "offer", "sdp": OFFER_SDP}})
    error = await caller.expect_error("no_partner")  # the first frame back: no candidate error
    assert error["payload"]["message"] == "No partner found for WebRTC offer"
    await callee.silent(0.2)


async def test_the_call_family_reaches_the_partner_and_never_ends_the_room(
    partners: tuple[WsClient, WsClient, str],
) -> None:
    callee, caller, room = partners
    started = {"caller_id": caller.user_id, "room_id": room}
    accepted = {"callee_id": callee.user_id, "room_id": room}
    expected = [
        (caller, callee, "call_start", "call_incoming", started),
        (callee, caller, "call_accept", "call_accepted", accepted),
        (callee, caller, "call_reject", "call_rejected", {"reason": "Call rejected"}),
        (caller, callee, "call_end", "call_ended", {"reason": "Call ended by peer"}),
    ]
    for sender, receiver, sent, received, payload in expected:
        await sender.send({"type": sent, "payload": {"caller_id": "forged", "reason": "x"}})
        got = await receiver.expect(received)
        assert got["payload"] == payload
        assert (got["from"], got["to"]) == (sender.user_id, receiver.user_id)
        await sender.silent(0.05)
    # Still in the room: signaling goes on.
    await caller.send({"type": "ice_candidate", "payload": CANDIDATE})
    assert (await callee.expect("ice_candidate"))["payload"] == CANDIDATE


async def test_bad_input_never_closes_the_socket(
    partners: tuple[WsClient, WsClient, str],
) -> None:
    callee, caller, _ = partners
    bad: list[tuple[str | bytes, str]] = [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('{"type": 5}', "bad_frame"),
        ('{"payload": {}}', "bad_frame"),
        ('{"type": "' + "x" * 65 + '"}', "bad_frame"),
        ('{"type": "join_room", "payload": {}}', "unknown_type"),
        ('{"type": "offer", "payload": ' + "[" * 20_000 + "]" * 20_000 + "}", "bad_json"),
        ('{"type": "offer", "payload": {"sdp": 1e999}}', "invalid_sdp"),
        ('{"type": "ice_candidate", "payload": {"candidate": "candidate:1", "sdpMid": {}}}',
         "invalid_candidate"),
        (b"\x00\x01binary", "bad_frame"),
    ]  # fmt: skip
    for raw, code in bad:
        await caller.ws.send(raw)
        await caller.expect_error(code)
    await callee.silent(0.1)
    await caller.send({"type": "ice_candidate", "payload": CANDIDATE})
    assert (await callee.expect("ice_candidate"))["payload"] == CANDIDATE
    assert caller.ws.close_code is None
