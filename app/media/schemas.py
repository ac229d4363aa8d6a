"""The JSON bodies of the media routes, one model each (validation, OpenAPI and output).

SDP itself travels as text (`application/sdp`); these are its JSON forms and the
conversation a caller reads back.
"""

from __future__ import annotations

from typing import Any, Literal

from app.db.tables.base import isoformat
from app.http.bodies import Body


class OfferBody(Body):
    """`POST /webrtc` as JSON: the caller's SDP offer."""

    type: Literal["offer"]
    sdp: str


class AnswerBody(Body):
    """The answer to a JSON offer, with the conversation it started."""

    type: Literal["answer"] = "answer"
    sdp: str
    conversation_id: str


class ConversationBody(Body):
    """`GET /api/conversations/{id}`: a call's state, times, duration and recording."""

    id: str
    user_id: int | None
    worker: str
    state: str
    end_reason: str | None
    started_at: str | None
    ended_at: str | None
    duration: float
    bytes: int
    packets: int
    echo_drops: int
    recording_url: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ConversationBody:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            worker=row["worker"],
            state=row["state"],
            end_reason=row["end_reason"],
            started_at=isoformat(row["started_at"]),
            ended_at=isoformat(row["ended_at"]),
            duration=round(float(row["duration"] or 0.0), 3),
            bytes=int(row["bytes"] or 0),
            packets=int(row["packets"] or 0),
            echo_drops=int(row["echo_drops"] or 0),
            recording_url=f"/api/conversations/{row['id']}/recording",
        )
