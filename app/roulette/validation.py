"""What a roulette key and number may be; shared by the REST routes and the WebSocket handlers."""

from __future__ import annotations

import re
from typing import Any

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_NUMBERS = 10_000


class InvalidInput(ValueError):
    """A client value that is refused; the message says which and why."""


def valid_key(raw: Any) -> str:
    if not isinstance(raw, str) or not KEY_PATTERN.match(raw):
        raise InvalidInput("key must be 1..64 characters of A-Z, a-z, 0-9, '_' or '-'")
    return raw


def valid_number(raw: Any) -> int:
    # bool is an int subclass: `true` must not be accepted as 1.
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 36:
        raise InvalidInput("number must be an integer from 0 to 36")
    return raw


def valid_numbers(raw: Any) -> list[int]:
    if not isinstance(raw, list):
        raise InvalidInput("numbers must be a list of integers from 0 to 36")
    if len(raw) > MAX_NUMBERS:
        raise InvalidInput(f"numbers may hold at most {MAX_NUMBERS} entries")
    return [valid_number(value) for value in raw]
