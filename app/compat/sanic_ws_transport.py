"""Pre-framed text frames written straight to a Sanic WebSocket's transport.

A fan-out frames its text once (`text_frame`) and writes those bytes to every watching socket,
instead of each socket re-encoding and re-framing the same text through Sanic's `send`. That
needs three private members of Sanic's `WebsocketImplProtocol`: `io_proto` (its transport and
its flow-controlled `send`) and `ws_proto` (the websockets state machine, for the open state).
"""

from __future__ import annotations

import asyncio

from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.protocol import State

from app.compat import pin

SUPPORTED = "25.12."
pin("sanic", SUPPORTED, __name__)


def text_frame(text: str) -> bytes:
    """The wire bytes of one unfragmented text frame, as a server sends it (RFC 6455 5.2).

    Server frames are never masked and the gateway negotiates no extension, so these bytes
    are the same for every socket.
    """
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 65536:
        return b"\x81\x7e" + size.to_bytes(2, "big") + data
    return b"\x81\x7f" + size.to_bytes(8, "big") + data


def is_open(ws: WebsocketImplProtocol) -> bool:
    return ws.ws_proto.state is State.OPEN


def writable_transport(ws: WebsocketImplProtocol) -> asyncio.WriteTransport | None:
    """The socket's transport while the socket is open; None once it is closing."""
    transport = ws.io_proto.transport if ws.io_proto else None
    if transport is None or transport.is_closing() or not is_open(ws):
        return None
    return transport


async def send_when_writable(ws: WebsocketImplProtocol, data: bytes) -> None:
    """Write `data` once the transport accepts more (Sanic's protocol `send` waits for
    `resume_writing`)."""
    if ws.io_proto is not None:  # None once the connection is torn down
        await ws.io_proto.send(data)
