"""How a client speaks to a server: Voxhub's JSON frames or Socket.IO over Engine.IO v4.

The same client code drives both servers so that a comparison measures the servers, not two
different clients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection

_COMPACT = (",", ":")


@dataclass(frozen=True, slots=True)
class Session:
    user_id: str
    worker: str


class Dialect(Protocol):
    name: str

    def url(self, http_base: str) -> str: ...

    async def handshake(self, ws: ClientConnection) -> Session: ...

    def keepalive_reply(self, raw: str) -> str | None: ...

    def encode(self, kind: str, body: dict[str, Any]) -> str: ...

    def decode(self, raw: str) -> tuple[str, dict[str, Any]]: ...


def _ws_base(http_base: str) -> str:
    if not http_base.startswith("http://127.0.0.1:"):
        raise ValueError("benchmarks only connect to 127.0.0.1")
    return "ws://" + http_base.removeprefix("http://")


class VoxhubDialect:
    """`{"type", ...}` frames; the server speaks first with `session` and pings by frame."""

    name = "voxhub"

    def url(self, http_base: str) -> str:
        return _ws_base(http_base) + "/ws"

    async def handshake(self, ws: ClientConnection) -> Session:
        kind, frame = self.decode(str(await ws.recv()))
        if kind != "session":
            raise RuntimeError(f"expected a session frame first, got {kind!r}")
        payload = frame.get("payload") or {}
        return Session(str(payload["user_id"]), str(payload.get("worker", "")))

    def keepalive_reply(self, raw: str) -> str | None:
        if raw.startswith('{"type":"ping"'):
            return '{"type":"pong"}'
        return None

    def encode(self, kind: str, body: dict[str, Any]) -> str:
        return json.dumps({"type": kind, **body}, separators=_COMPACT)

    def decode(self, raw: str) -> tuple[str, dict[str, Any]]:
        frame = json.loads(raw)
        return str(frame.get("type")), frame


class SocketIODialect:
    """Engine.IO v4 packets over a plain WebSocket (no long-polling), Socket.IO v5 events.

    The peer app emits a `session` event on connect, mirroring Voxhub's first frame.
    """

    name = "socketio"

    def url(self, http_base: str) -> str:
        return _ws_base(http_base) + "/socket.io/?EIO=4&transport=websocket"

    async def handshake(self, ws: ClientConnection) -> Session:
        opened = str(await ws.recv())
        if not opened.startswith("0"):
            raise RuntimeError(f"expected an Engine.IO open packet, got {opened[:40]!r}")
        await ws.send("40")
        while True:
            raw = str(await ws.recv())
            reply = self.keepalive_reply(raw)
            if reply:
                await ws.send(reply)
                continue
            kind, body = self.decode(raw)
            if kind == "session":
                return Session(str(body["user_id"]), str(body.get("worker", "")))

    def keepalive_reply(self, raw: str) -> str | None:
        return "3" if raw == "2" else None

    def encode(self, kind: str, body: dict[str, Any]) -> str:
        return "42" + json.dumps([kind, body], separators=_COMPACT)

    def decode(self, raw: str) -> tuple[str, dict[str, Any]]:
        if raw.startswith("42"):
            kind, *rest = json.loads(raw[2:])
            return str(kind), (rest[0] if rest and isinstance(rest[0], dict) else {})
        return f"engineio:{raw[:2]}", {}


DIALECTS: dict[str, Dialect] = {"voxhub": VoxhubDialect(), "socketio": SocketIODialect()}
