"""A socket whose peer stops reading is closed once its outbox passes a frame or a byte bound.

The socket here is the part of Sanic's WebSocket a Connection touches: an open protocol state
and a transport whose buffer stays full (the peer reads nothing).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from websockets.protocol import State

from app.auth import Identity, Role
from app.compat.sanic_ws_transport import text_frame
from app.ws.connection import (
    CLOSE_POLICY,
    OUTBOX_BYTES_LIMIT,
    OUTBOX_LIMIT,
    WRITE_BUFFER_LIMIT,
    Connection,
)


class StalledSocket:
    """A peer that never reads: the transport's buffer is full and sends never complete."""

    def __init__(self) -> None:
        self.ws_proto = SimpleNamespace(state=State.OPEN)
        transport = SimpleNamespace(
            is_closing=lambda: False,
            get_write_buffer_size=lambda: WRITE_BUFFER_LIMIT,
            write=lambda data: None,
        )
        self.io_proto = SimpleNamespace(transport=transport, send=self._never)
        self.closed_with: tuple[int, str] | None = None

    async def _never(self, data: bytes) -> None:
        await asyncio.Event().wait()

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)


def _connection(socket: Any) -> Connection:
    return Connection(socket, Identity("7", Role.USER))


async def _send_until_closed(conn: Connection, socket: StalledSocket, frame: bytes) -> int:
    sent = 0
    while not conn.closed and sent < 10 * OUTBOX_LIMIT:
        conn.send_frame(frame)
        sent += 1
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    return sent


async def test_big_frames_close_the_socket_at_the_byte_bound() -> None:
    socket = StalledSocket()
    conn = _connection(socket)
    frame = text_frame("x" * 100_000)  # a 10,000-number roulette history weighs about this
    sent = await _send_until_closed(conn, socket, frame)
    assert socket.closed_with == (CLOSE_POLICY, "slow consumer")
    # The writer holds one frame; the outbox kept no more than the bound allows.
    assert sent <= OUTBOX_BYTES_LIMIT // len(frame) + 2


async def test_small_frames_close_the_socket_at_the_frame_bound() -> None:
    socket = StalledSocket()
    conn = _connection(socket)
    sent = await _send_until_closed(conn, socket, text_frame('{"type":"pong"}'))
    assert socket.closed_with == (CLOSE_POLICY, "slow consumer")
    assert OUTBOX_LIMIT < sent <= OUTBOX_LIMIT + 2
