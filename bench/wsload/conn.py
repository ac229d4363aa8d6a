"""One client socket in a load-generator process.

Keep-alives are answered as they arrive; every other frame goes to `on_frame`, which a scenario
replaces with a cheap callback on its hot path (parsing 40,000 frames a second in Python is a
large share of a 2-core machine, and it is reported as the load generator's CPU).

Once the dialect's handshake is done, complete text messages reach `on_frame` from the
connection's protocol callback (`DirectConnection`) instead of through websockets' message
queue and a reader task woken per message: that task switch was most of the load generator's
CPU per frame, CPU the server under test then lacked on this 2-core machine. The same client
drives every server compared.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.frames import Frame, Opcode
from websockets.protocol import Event

from bench.wsload.dialects import Dialect, Session

FrameCallback = Callable[["Conn", str], None]


class ServerError(RuntimeError):
    """The server answered with an error frame where a scenario expected something else."""


# Keep-alive replies in flight: the loop holds only weak references to tasks.
_replies: set[asyncio.Task[None]] = set()


class DirectConnection(ClientConnection):
    """Hands each complete text message to `on_message` as the protocol parses it.

    Until `on_message` is set, and for fragmented or binary messages, frames take websockets'
    ordinary path to `recv`.
    """

    on_message: Callable[[str], None] | None = None

    def process_event(self, event: Event) -> None:
        if (
            self.on_message is not None
            and isinstance(event, Frame)
            and event.opcode is Opcode.TEXT
            and event.fin
        ):
            self.on_message(event.data.decode())
            return
        super().process_event(event)


class Conn:
    __slots__ = ("ws", "dialect", "session", "on_frame", "inbox", "pongs", "closed_at", "task")

    def __init__(self, ws: DirectConnection, dialect: Dialect, session: Session) -> None:
        self.ws = ws
        self.dialect = dialect
        self.session = session
        self.on_frame: FrameCallback = Conn.to_inbox
        self.inbox: asyncio.Queue[str] = asyncio.Queue()
        self.pongs = 0
        self.closed_at: float | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def user_id(self) -> str:
        return self.session.user_id

    @property
    def worker(self) -> str:
        return self.session.worker

    @property
    def open(self) -> bool:
        return self.closed_at is None

    @classmethod
    async def open_to(cls, url: str, dialect: Dialect, timeout: float) -> Conn:
        ws = await connect(
            url,
            open_timeout=timeout,
            close_timeout=2,
            ping_interval=None,  # the servers ping at the application level
            compression=None,
            max_size=2**22,
            create_connection=DirectConnection,
        )
        try:
            session = await asyncio.wait_for(dialect.handshake(ws), timeout)
        except BaseException:
            await ws.close()
            raise
        conn = cls(ws, dialect, session)
        ws.on_message = conn._receive
        conn.task = asyncio.get_running_loop().create_task(conn._read())
        return conn

    def to_inbox(self, raw: str) -> None:
        self.inbox.put_nowait(raw)

    def _receive(self, text: str) -> None:
        reply = self.dialect.keepalive_reply(text)
        if reply is None:
            self.on_frame(self, text)
            return
        self.pongs += 1
        task = asyncio.get_running_loop().create_task(self._reply(reply))
        _replies.add(task)
        task.add_done_callback(_replies.discard)

    async def _reply(self, text: str) -> None:
        try:
            await self.ws.send(text)
        except (ConnectionClosed, WebSocketException, OSError):
            pass  # closing: `_read` records it

    async def _read(self) -> None:
        """What the direct path leaves (messages queued during the handshake, fragments),
        and the moment the connection closes."""
        try:
            async for raw in self.ws:
                self._receive(raw if isinstance(raw, str) else raw.decode())
        except (ConnectionClosed, WebSocketException, OSError):
            pass
        finally:
            self.closed_at = time.time()

    async def send(self, kind: str, **body: Any) -> None:
        await self.ws.send(self.dialect.encode(kind, body))

    async def expect(self, kinds: set[str], timeout: float) -> dict[str, Any]:
        """The next frame of one of `kinds` from the inbox; others are dropped."""
        async with asyncio.timeout(timeout):
            while True:
                kind, frame = self.dialect.decode(await self.inbox.get())
                if kind in kinds:
                    return frame
                if kind == "error":
                    raise ServerError(str(frame.get("payload")))

    async def close(self) -> None:
        try:
            await self.ws.close()
        except (ConnectionClosed, WebSocketException, OSError):
            pass
        if self.task is not None:
            try:
                async with asyncio.timeout(3):
                    await self.task
            except TimeoutError:
                self.task.cancel()
        self.closed_at = self.closed_at or time.time()
