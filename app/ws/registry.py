"""Dispatch of client frames by `type` to the domain that owns it.

Domains call `services.router.add("<type>", handler)` from their own `register`; the gateway
knows no domain. A type has exactly one owner: a second registration is a bug that
would silently shadow the first, so it fails at start-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from app.errors import bad_request
from app.ws.protocol import Frame

if TYPE_CHECKING:
    from app.ws.connection import Connection

Handler = Callable[["Connection", Frame], Awaitable[None]]


class WsRouter:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def add(self, kind: str, handler: Handler) -> None:
        if kind in self._handlers:
            raise ValueError(f"WebSocket type {kind!r} is already handled")
        self._handlers[kind] = handler

    def knows(self, kind: str) -> bool:
        return kind in self._handlers

    @property
    def types(self) -> frozenset[str]:
        return frozenset(self._handlers)

    async def dispatch(self, conn: Connection, frame: Frame) -> None:
        handler = self._handlers.get(frame["type"])
        if handler is None:
            raise bad_request(f"unknown message type {frame['type']!r}", code="unknown_type")
        await handler(conn, frame)
