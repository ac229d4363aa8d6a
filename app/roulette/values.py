"""Seed 003's values, checked with the exact words its clients and their users see.

A key is free text (a table's name, `Стол №7`); a number is a cell of the board, 0..36 or the
string "00". The texts of `DomainError`s here are the contract's (docs/seed003.md): REST
answers them as `{"error": text}` and sockets put them in the roulette error frame.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from app.errors import bad_request

# The board's `00` cell: on the wire the string "00", in SQL the integer 37.
DOUBLE_ZERO: Final = "00"
DOUBLE_ZERO_STORED = 37
MAX_KEY_LENGTH = 255
MAX_HISTORY = 10_000
MAX_CLIENT_ID_LENGTH = 64

Number = int | Literal["00"]
"""0..36, or DOUBLE_ZERO."""

INVALID_BODY = "Invalid request body"
KEY_AND_NUMBER_REQUIRED = "Key and number are required"
KEY_REQUIRED = "Key is required"
INVALID_KEY = "Invalid key"
INVALID_NUMBER = "Invalid number"
INVALID_HISTORY = "Invalid history format"
INVALID_INDEX = "Invalid index"
NO_SESSION_KEY = "client has no session key"
INVALID_CLIENT_ID = f"client_id must be 1 to {MAX_CLIENT_ID_LENGTH} printable characters"


def is_key(value: Any) -> bool:
    """Non-empty text of at most 255 characters, without `/` (a path separator) or control
    characters (C0, DEL, C1)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_KEY_LENGTH
        and "/" not in value
        and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)
    )


def key(value: Any) -> str:
    """A key from a client: missing or empty is `Key is required`, anything else wrong is
    `Invalid key`."""
    if value is None or value == "":
        raise bad_request(KEY_REQUIRED)
    if not is_key(value):
        raise bad_request(INVALID_KEY)
    return str(value)


def number(value: Any) -> Number | None:
    """The board cell `value` names, or None. An integral JSON number (`17.0`) is that integer;
    booleans, other strings ("7", "0") and fractions name no cell."""
    if value == DOUBLE_ZERO and isinstance(value, str):
        return DOUBLE_ZERO
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value <= 36:
        return value
    return None


def required_number(value: Any) -> Number:
    checked = number(value)
    if checked is None:
        raise bad_request(INVALID_NUMBER)
    return checked


def history(value: Any) -> list[Number]:
    """A whole history from a client: an array of numbers, at most MAX_HISTORY of them;
    None (absent) is the empty history."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_HISTORY:
        raise bad_request(INVALID_HISTORY)
    checked = [number(item) for item in value]
    if any(item is None for item in checked):
        raise bad_request(INVALID_HISTORY)
    return [item for item in checked if item is not None]


def index(value: Any) -> int:
    """A position in a history (range-checked by the store, under the key's lock)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_request(INVALID_INDEX)
    return value


def client_id(value: Any) -> str | None:
    """A save's optional id, chosen by the client (a UUID, a counter): its retries carry the
    same one and are stored once. Not a contract field: the seeds' clients send none."""
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= MAX_CLIENT_ID_LENGTH
        or not value.isprintable()
    ):
        raise bad_request(INVALID_CLIENT_ID)
    return value


def stored(value: Number) -> int:
    return DOUBLE_ZERO_STORED if value == DOUBLE_ZERO else int(value)


def wire(value: int) -> Number:
    return DOUBLE_ZERO if value == DOUBLE_ZERO_STORED else value


def save(key_value: Any, number_value: Any) -> tuple[str, Number]:
    """The `{key, number}` of a save, checked in the contract's order: both present, then the
    key, then the number."""
    if not isinstance(key_value, str) or not key_value or number_value is None:
        raise bad_request(KEY_AND_NUMBER_REQUIRED)
    return key(key_value), required_number(number_value)
