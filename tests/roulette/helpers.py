"""Shared by the roulette tests: fresh keys, and the roulette error frame's shape."""

from __future__ import annotations

import uuid

from tests.ws.client import Frame, WsClient


def new_key(prefix: str = "table") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def expect_roulette_error(
    client: WsClient, text: str, *, code: str = "bad_request", key: str | None = None
) -> Frame:
    """`{"type": "error", "error": text, "payload": {"code", "message"}, "key"?}`."""
    frame = await client.expect("error")
    assert frame["error"] == text and frame["payload"] == {"code": code, "message": text}, frame
    if key is not None:
        assert frame["key"] == key, frame
    return frame
