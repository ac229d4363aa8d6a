"""What each frame relayed to the room partner becomes, and the payload checks made first.

The texts are seed 004's original server's, word for word: its clients show an error's
`payload.message` to the user, and migrating teams match on them. Every relayed frame goes to
the sender's current partner only (`to` is never needed); `offer`, `answer` and
`ice_candidate` carry the client's payload through untouched, the `call_*` family replaces it
with what the original sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import bad_request

# (client payload, sender id, room id) -> the payload the partner receives
Payload = Callable[[Any, str, str], Any]


def sdp_problem(kind: str, payload: Any) -> str | None:
    """Why `payload` is not an acceptable `kind` ("offer" or "answer") description, in the
    original's order (the first failure wins), or None. As in the original, the required lines
    and media are looked for anywhere in the text: real SDPs pass, and so must theirs."""
    if not isinstance(payload, dict):
        return "payload must be a JSON object"
    if "sdp" not in payload:
        return "missing 'sdp' field in payload"
    sdp = payload["sdp"]
    if not isinstance(sdp, str):
        return "SDP must be a string"
    if not sdp:
        return "SDP cannot be empty"
    declared = payload.get("type")
    if isinstance(declared, str) and declared != kind:
        return f"expected type '{kind}', got '{declared}'"
    if not sdp.startswith("v=0"):
        return "SDP must start with 'v=0'"
    for line in ("o=", "s=", "t="):
        if line not in sdp:
            return f"SDP missing required line starting with '{line}'"
    if "m=audio" not in sdp and "m=application" not in sdp:
        return "SDP must contain at least one media line (m=audio or m=application)"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def candidate_is_valid(payload: Any) -> bool:
    """An `RTCIceCandidateInit` as browsers serialize it: `sdpMid: null` is refused, as the
    original refused it."""
    if not isinstance(payload, dict):
        return False
    candidate = payload.get("candidate")
    if not isinstance(candidate, str) or "candidate:" not in candidate:
        return False
    if "sdpMLineIndex" in payload and not _is_number(payload["sdpMLineIndex"]):
        return False
    return "sdpMid" not in payload or isinstance(payload["sdpMid"], str)


def _description(kind: str) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        problem = sdp_problem(kind, payload)
        if problem is not None:
            raise bad_request(f"Invalid SDP {kind} format: {problem}", code="invalid_sdp")

    return check


def _candidate(payload: Any) -> None:
    if not candidate_is_valid(payload):
        raise bad_request("Invalid ICE candidate format", code="invalid_candidate")


def _any(payload: Any) -> None:
    """The `call_*` frames ignore what the client sent."""


def _as_sent(payload: Any, sender: str, room: str) -> Any:
    return payload


def _fixed(payload: Mapping[str, str]) -> Payload:
    return lambda _payload, _sender, _room: dict(payload)


@dataclass(frozen=True, slots=True)
class Relay:
    """How one client frame type reaches the partner."""

    sends: str  # the type the partner receives
    no_partner: str | None  # the error when the sender is in no room; None: dropped silently
    check: Callable[[Any], None] = _any  # raises `DomainError` for a payload it refuses
    payload: Payload = _as_sent


RELAYS: Mapping[str, Relay] = {
    "offer": Relay("offer", "No partner found for WebRTC offer", _description("offer")),
    "answer": Relay("answer", "No partner found for WebRTC answer", _description("answer")),
    # Late trickle candidates after the partner left must not flood the UI with errors.
    "ice_candidate": Relay("ice_candidate", None, _candidate),
    "call_start": Relay(
        "call_incoming",
        "No partner found to start call",
        payload=lambda _payload, sender, room: {"caller_id": sender, "room_id": room},
    ),
    "call_accept": Relay(
        "call_accepted",
        "No partner found to accept call",
        payload=lambda _payload, sender, room: {"callee_id": sender, "room_id": room},
    ),
    "call_reject": Relay("call_rejected", None, payload=_fixed({"reason": "Call rejected"})),
    "call_end": Relay("call_ended", None, payload=_fixed({"reason": "Call ended by peer"})),
}
