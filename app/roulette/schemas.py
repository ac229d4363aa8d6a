"""Seed 003's bodies as OpenAPI describes them and as the routes answer them.

Requests are checked by `app/roulette/values.py`, not by these models: the contract fixes the
exact error texts (`Key and number are required`, `Invalid number`, ...), and which one a body
gets depends on the order of its faults, which pydantic's first complaint does not follow. The
models still document the bodies and serialize every answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from app.http.bodies import Body
from app.roulette.values import MAX_CLIENT_ID_LENGTH, MAX_HISTORY, MAX_KEY_LENGTH, Number

WheelNumber = Annotated[
    Number, Field(description='0..36, or the string "00" (the board\'s 00 cell)')
]
RouletteKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="free text without '/' or control characters",
    ),
]


class SaveNumber(Body):
    key: RouletteKey
    number: WheelNumber
    client_id: (
        Annotated[
            str,
            Field(
                min_length=1,
                max_length=MAX_CLIENT_ID_LENGTH,
                description="the client's id for this save: a retry with the same one is "
                "answered with the session instead of being stored again",
            ),
        ]
        | None
    ) = None


class ReplaceHistory(Body):
    """`history` absent or null empties the session; a body `key` is ignored."""

    history: Annotated[list[WheelNumber], Field(max_length=MAX_HISTORY)] | None = None


class Session(Body):
    """A session: its history oldest first, never null; times RFC 3339."""

    id: int
    key: str
    history: list[WheelNumber]
    created_at: str
    updated_at: str


class History(Body):
    """`GET /api/roulette/{key}`: an unknown key has the empty history."""

    history: list[WheelNumber]


class Saved(Body):
    success: Literal[True] = True
    data: Session


class Sessions(Body):
    sessions: list[Session]
