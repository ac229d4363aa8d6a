"""The frames the pairing scripts publish themselves, as templates around the ids they fill in.

Publishing from inside the script saves a round trip per frame (a match used to cost a script
and then three publishes: both members' `match_found`, the left partner's
`partner_disconnected`). Only the script knows the partner and the room left behind, so the
frames come to it encoded, bus envelope included, split where those ids go; the script joins
the parts with each id JSON-encoded (`cjson.encode`), so any user id stays valid JSON.
"""

from __future__ import annotations

import json

from app.bus.hub import envelope
from app.ws.delivery import pack
from app.ws.protocol import Frame

REASON_LEFT = "Partner left the conversation"
REASON_LOST = "Partner lost connection"

# Stands for an id in a frame; JSON always escapes it, so its encoding is a unique marker.
_HOLE = "\x00"
_HOLE_JSON = json.dumps(_HOLE)


def _template(frame: Frame, holes: int) -> list[str]:
    parts = envelope(pack(frame)).split(_HOLE_JSON)
    assert len(parts) == holes + 1, "an id hole must appear exactly once in the frame"
    return parts


def partner_left(reason: str) -> list[str]:
    """`partner_disconnected` around its room id: 2 parts."""
    return _template(
        {"type": "partner_disconnected", "payload": {"reason": reason, "room_id": _HOLE}}, 1
    )


def match_found(role: str) -> list[str]:
    """`match_found` for the member playing `role`, around the partner id and the room id:
    3 parts."""
    return _template(
        {
            "type": "match_found",
            "payload": {"partner_id": _HOLE, "room_id": _HOLE, "role": role},
        },
        2,
    )
