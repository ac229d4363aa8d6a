"""Bodies of the metered calls' routes: one pydantic model each (validation, OpenAPI, output)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.accounts.schemas import RealtimeModel, Voice
from app.http.bodies import Body

# A browser's audio offer is a few KB; a hundred times that is not an offer.
MAX_SDP = 65536
Sdp = Annotated[str, Field(min_length=1, max_length=MAX_SDP)]


class CallStart(Body):
    """`POST /api/realtime/calls` as JSON; a bare `application/sdp` body is `{"sdp": body}`."""

    sdp: Sdp
    prompt_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None
    voice: Voice | None = None
    model: RealtimeModel | None = None


class CallStarted(Body):
    call_id: int
    sdp: str


class CallUsage(Body):
    """Tokens charged so far, by type (`total` is what the balance paid)."""

    input_text: int
    input_audio: int
    input_image: int
    input_cached: int
    output_text: int
    output_audio: int
    total: int


class CallState(Body):
    call_id: int
    openai_call_id: str | None
    user_id: int
    state: str
    end_reason: str | None
    model: str
    voice: str
    held: int
    charged: int
    responses: int
    worker: str | None
    usage: CallUsage
    started_at: str | None
    ended_at: str | None
    created_at: str
