"""What a Realtime response costs: OpenAI's `response.done` usage object, read as the ledger
charges it.

The mini-app forwards the usage object as OpenAI sent it, so it is read leniently where OpenAI
may grow (unknown keys, absent details, absent counters are 0) and strictly where a client could
cheat: every counter must be a non-negative integer, since a negative total would credit tokens.
The charge is `total_tokens` as given, not recomputed from the parts. Server-side metering of
Realtime calls reads the same objects through the same function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import bad_request

# Far below BIGINT's limit, as every amount of the ledger is.
MAX_COUNTER = 10**12
DETAIL_COUNTERS = ("text_tokens", "audio_tokens", "image_tokens", "cached_tokens")


@dataclass(frozen=True, slots=True)
class Side:
    """The input or the output half of a response's usage."""

    total: int
    text: int
    audio: int
    image: int
    cached: int

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "text": self.text,
            "audio": self.audio,
            "image": self.image,
            "cached": self.cached,
        }


@dataclass(frozen=True, slots=True)
class Usage:
    total_tokens: int
    input: Side
    output: Side

    def breakdown(self) -> dict[str, Any]:
        """`usage_breakdown` as seed 000's server answered it (output never reports image or
        cached tokens)."""
        return {
            "input": self.input.as_dict(),
            "output": {**self.output.as_dict(), "image": 0, "cached": 0},
            "total": self.total_tokens,
        }


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if value is None and where != "usage":
        return {}
    if not isinstance(value, Mapping):
        raise bad_request(f"{where} must be an object")
    return value


def _counter(container: Mapping[str, Any], name: str, where: str) -> int:
    value = container.get(name)
    if value is None:
        return 0
    # bool is an int to Python, not to a client: `true` is not a token count.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNTER:
        raise bad_request(f"{where}.{name} must be a non-negative integer")
    return value


def _side(usage: Mapping[str, Any], side: str) -> Side:
    where = f"usage.{side}_token_details"
    details = _object(usage.get(f"{side}_token_details"), where)
    text, audio, image, cached = (_counter(details, name, where) for name in DETAIL_COUNTERS)
    return Side(_counter(usage, f"{side}_tokens", "usage"), text, audio, image, cached)


def metered_usage(usage: Any) -> Usage:
    """`usage` checked and read; a 400 naming the first bad field otherwise."""
    checked = _object(usage, "usage")
    return Usage(
        total_tokens=_counter(checked, "total_tokens", "usage"),
        input=_side(checked, "input"),
        output=_side(checked, "output"),
    )
