"""The frames the pairing scripts publish themselves, as templates around the ids they fill in.

Publishing from inside the script saves a round trip per frame (a match used to cost a script
and then three publishes: both members' `match_found`, the left partner's
`partner_disconnected`). Only the script knows the partner and the room left behind, so the
frames come to it pre-encoded by the gateway's delivery (`published_template`), split where
those ids go; the script joins the parts with each id JSON-encoded (`cjson.encode`).
"""

from __future__ import annotations

from app.ws.delivery import HOLE, published_template

REASON_LEFT = "Partner left the conversation"
REASON_LOST = "Partner lost connection"


def partner_left(reason: str) -> list[str]:
    """`partner_disconnected` around its room id: 2 parts."""
    return published_template(
        {"type": "partner_disconnected", "payload": {"reason": reason, "room_id": HOLE}}, 1
    )


def match_found(role: str) -> list[str]:
    """`match_found` for the member playing `role`, around the partner id and the room id:
    3 parts."""
    return published_template(
        {
            "type": "match_found",
            "payload": {"partner_id": HOLE, "room_id": HOLE, "role": role},
        },
        2,
    )
