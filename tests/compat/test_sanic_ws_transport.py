"""Pre-framed writes to a Sanic WebSocket: the frame bytes, and the private members used."""

import inspect

import sanic
from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from app.compat.sanic_ws_transport import PING_FRAME, PING_PAYLOAD, SUPPORTED, text_frame


def _parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("incomplete frame")


def test_text_frames_of_every_length_class_parse_as_websockets_would() -> None:
    for size in (0, 125, 126, 65535, 65536):
        text = "é" * (size // 2) + "x" * (size % 2)
        frame = _parse(text_frame(text))
        assert frame.opcode is Opcode.TEXT and frame.fin
        assert frame.data.decode() == text


def test_the_private_members_it_uses_are_still_there() -> None:
    assert sanic.__version__.startswith(SUPPORTED)
    source = inspect.getsource(WebsocketImplProtocol.__init__)
    assert "self.io_proto" in source and "self.ws_proto" in source
    from sanic.server.protocols.websocket_protocol import WebSocketProtocol

    assert inspect.iscoroutinefunction(WebSocketProtocol.send)


def test_the_ping_frame_and_the_pong_futures_it_relies_on() -> None:
    frame = _parse(PING_FRAME)
    assert frame.opcode is Opcode.PING and frame.fin and frame.data == PING_PAYLOAD
    assert "self.pings" in inspect.getsource(WebsocketImplProtocol.__init__)
    # A Pong whose payload is a key of `pings` resolves that future.
    assert "frame.data in self.pings" in inspect.getsource(WebsocketImplProtocol.process_pong)
