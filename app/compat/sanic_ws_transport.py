"""Pre-framed text frames written straight to a Sanic WebSocket's transport.

A fan-out frames its text once (`text_frame`) and writes those bytes to every watching socket,
instead of each socket re-encoding and re-framing the same text through Sanic's `send`. That
needs three private members of Sanic's `WebsocketImplProtocol`: `io_proto` (its transport and
its flow-controlled `send`) and `ws_proto` (the websockets state machine, for the open state).
The heartbeat's protocol Ping (`ping`) is written the same way and its Pong noticed through a
fourth, `pings` (the futures Sanic resolves when a Pong arrives).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

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


# An empty Ping, FIN set (RFC 6455 5.5.2): the peer answers with an empty Pong.
PING_PAYLOAD = b""
PING_FRAME = b"\x89\x00"


def ping(ws: WebsocketImplProtocol, on_pong: Callable[[], None]) -> None:
    """Write a protocol Ping; `on_pong()` runs when the peer's Pong comes back.

    Sanic resolves the future kept under a Ping's payload in `ws.pings` when the matching
    Pong arrives (and fails it when the connection is lost). One future per socket at a time:
    while a Ping is unanswered, the next one is written without another future, and a Pong
    answering either resolves it. Browsers answer Pings by themselves, so a page that never
    answers the JSON `ping` still shows it is alive.
    """
    transport = writable_transport(ws)
    if transport is None:
        return
    if PING_PAYLOAD not in ws.pings:
        waiter = asyncio.get_running_loop().create_future()

        def answered(done: asyncio.Future[None]) -> None:
            if not done.cancelled() and done.exception() is None:
                on_pong()

        waiter.add_done_callback(answered)
        ws.pings[PING_PAYLOAD] = waiter
    transport.write(PING_FRAME)
