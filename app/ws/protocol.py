"""The /ws wire format: JSON text frames `{"type", "payload", "to", "timestamp"}`.

Frames are encoded once and handed around as text: a frame fanned out to many sockets (a
roulette update, a relay to a user's devices) is serialized a single time, never per socket.
Bad input raises `DomainError` (app/errors.py), which the gateway answers with an error frame.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from app.db.storable import storable_text_problem
from app.errors import bad_request

Frame = dict[str, Any]

# Longest `type` a client may send; longer ones are refused before any lookup or metric label.
MAX_TYPE_LENGTH = 64


def now_iso() -> str:
    """UTC with milliseconds and a `Z`, the shape the Go seeds' clients parse."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode(frame: Frame) -> str:
    """Compact JSON with a timestamp; compact output never contains a raw newline."""
    if "timestamp" not in frame:
        frame = {**frame, "timestamp": now_iso()}
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def error_frame(code: str, message: str) -> Frame:
    """How a socket hears of a refusal (`DomainError`'s code and message)."""
    return {"type": "error", "payload": {"code": code, "message": message}, "timestamp": now_iso()}


def parse_frame(raw: str | bytes) -> Frame:
    """A client frame as a dict with a string `type`, or a `DomainError` saying what is wrong."""
    if isinstance(raw, bytes):
        raise bad_request("binary frames are not supported; send JSON text", code="bad_frame")
    try:
        frame = json.loads(raw)
    except ValueError:
        raise bad_request("frame is not valid JSON", code="bad_json") from None
    except RecursionError:  # `[[[[…` deeper than the interpreter's stack
        raise bad_request("frame is nested too deeply", code="bad_json") from None
    if not isinstance(frame, dict):
        raise bad_request("frame must be a JSON object", code="bad_frame")
    kind = frame.get("type")
    if not isinstance(kind, str) or not kind or len(kind) > MAX_TYPE_LENGTH:
        raise bad_request("frame needs a string 'type'", code="bad_frame")
    problem = storable_text_problem(frame)
    if problem is not None:
        raise bad_request(problem, code="bad_frame")
    return frame
