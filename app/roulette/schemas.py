"""Seed 003's bodies, one model each: what the REST routes and the socket messages accept and
what they answer. The same `SaveNumber` checks a `POST /api/roulette/save` body and a
`saveNumber` frame."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.http.bodies import Body

KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_NUMBERS = 10_000

RouletteKey = Annotated[str, Field(pattern=KEY_PATTERN, description="1..64 of A-Z a-z 0-9 _ -")]
WheelNumber = Annotated[int, Field(ge=0, le=36)]


class KeyRef(Body):
    key: RouletteKey


class SaveNumber(Body):
    key: RouletteKey
    number: WheelNumber


class ReplaceNumbers(Body):
    numbers: Annotated[list[WheelNumber], Field(max_length=MAX_NUMBERS)]


class Session(Body):
    """A session with its numbers, oldest first: the REST answer and each update's history."""

    key: str
    numbers: list[int]
    created_at: str | None
    updated_at: str | None


class SessionSummary(Body):
    key: str
    count: int
    last_number: int | None
    updated_at: str | None
