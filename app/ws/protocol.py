"""The /ws wire format: JSON text frames `{"type", "payload", "to", "timestamp"}`.

Frames are encoded once and handed around as text: a frame fanned out to many sockets (a
roulette update, a relay to a user's devices) is serialized a single time, never per socket.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

Frame = dict[str, Any]

# Longest `type` a client may send; longer ones are refused before any lookup or metric label.
MAX_TYPE_LENGTH = 64


class WsError(Exception):
    """Bad input from a client: answered with an `error` frame, the connection stays open."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def now_iso() -> str:
    """UTC with milliseconds and a `Z`, the shape the Go seeds' clients parse."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode(frame: Frame) -> str:
    """Compact JSON with a timestamp; compact output never contains a raw newline."""
    if "timestamp" not in frame:
        frame = {**frame, "timestamp": now_iso()}
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def text_frame(text: str) -> bytes:
    """The wire bytes of one unfragmented text frame, as a server sends it (RFC 6455 5.2).

    Server frames are never masked and the gateway negotiates no extension, so these bytes
    are the same for every socket: a fan-out builds them once and writes them to each
    transport, instead of each socket re-encoding and re-framing the same text.
    """
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 65536:
        return b"\x81\x7e" + size.to_bytes(2, "big") + data
    return b"\x81\x7f" + size.to_bytes(8, "big") + data


def error_frame(code: str, message: str) -> Frame:
    return {"type": "error", "payload": {"code": code, "message": message}, "timestamp": now_iso()}


def parse_frame(raw: str | bytes) -> Frame:
    """A client frame as a dict with a string `type`, or `WsError` saying what is wrong."""
    if isinstance(raw, bytes):
        raise WsError("bad_frame", "binary frames are not supported; send JSON text")
    try:
        frame = json.loads(raw)
    except ValueError:
        raise WsError("bad_json", "frame is not valid JSON") from None
    if not isinstance(frame, dict):
        raise WsError("bad_frame", "frame must be a JSON object")
    kind = frame.get("type")
    if not isinstance(kind, str) or not kind or len(kind) > MAX_TYPE_LENGTH:
        raise WsError("bad_frame", "frame needs a string 'type'")
    return frame
