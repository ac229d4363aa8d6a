"""A real WebSocket client for the gateway tests: answers pings, queues everything else."""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

Frame = dict[str, Any]


class WsClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: asyncio.Queue[Frame] = asyncio.Queue()
        self.session: Frame = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, ws_url: str, token: str | None = None, **options: Any) -> WsClient:
        url = f"{ws_url}?token={token}" if token else ws_url
        client = cls(await websockets.connect(url, open_timeout=10, **options))
        client.session = await client.expect("session")
        return client

    @property
    def user_id(self) -> str:
        return self.session["payload"]["user_id"]

    @property
    def token(self) -> str:
        return self.session["payload"]["token"]

    @property
    def worker(self) -> str:
        return self.session["payload"]["worker"]

    async def _read(self) -> None:
        with suppress(ConnectionClosed):
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame.get("type") == "ping":
                    await self.ws.send('{"type":"pong"}')
                else:
                    self.frames.put_nowait(frame)

    async def send(self, frame: Frame | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, timeout: float = 5.0) -> Frame:
        async with asyncio.timeout(timeout):
            return await self.frames.get()

    async def expect(self, kind: str, timeout: float = 5.0) -> Frame:
        frame = await self.next(timeout)
        assert frame.get("type") == kind, f"expected {kind!r}, got {frame}"
        return frame

    async def expect_error(self, code: str, timeout: float = 5.0) -> Frame:
        frame = await self.expect("error", timeout)
        assert frame["payload"]["code"] == code, frame
        assert frame["payload"]["message"]
        return frame

    async def silent(self, seconds: float) -> None:
        """Assert nothing but pings arrives for `seconds`."""
        await asyncio.sleep(seconds)
        assert self.frames.empty(), f"unexpected frame {self.frames.get_nowait()}"

    async def closed_with(self, timeout: float = 10.0) -> int | None:
        async with asyncio.timeout(timeout):
            await self._reader
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()
        with suppress(Exception):
            await self._reader


async def connect_many(ws_url: str, count: int, **options: Any) -> list[WsClient]:
    return list(await asyncio.gather(*(WsClient.connect(ws_url, **options) for _ in range(count))))


async def connect_spread(
    ws_url: str, per_worker: int, attempts: int = 40
) -> dict[str, list[WsClient]]:
    """Sockets on two worker processes, at least `per_worker` on each. Sequential connects
    tend to wake the same worker, and right after start-up only one may be ready, so sockets
    are opened in concurrent batches, a little apart, until both workers hold enough."""
    by_worker: dict[str, list[WsClient]] = {}
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(0.25)
        for client in await connect_many(ws_url, 4):
            by_worker.setdefault(client.worker, []).append(client)
        if len(by_worker) >= 2 and all(len(c) >= per_worker for c in by_worker.values()):
            return by_worker
    await close_all([client for clients in by_worker.values() for client in clients])
    raise AssertionError(f"sockets did not spread over two workers: {list(by_worker)}")


async def on_two_workers(ws_url: str) -> tuple[WsClient, WsClient]:
    """One socket on each of two worker processes."""
    (first, *spare_first), (second, *spare_second) = list(
        (await connect_spread(ws_url, 1)).values()
    )[:2]
    await close_all([*spare_first, *spare_second])
    return first, second


async def until_both_workers_ready(ws_url: str) -> None:
    """`VoxhubServer.start` returns when one worker answers; the other may still be starting."""
    first, second = await on_two_workers(ws_url)
    await close_all([first, second])


async def close_all(clients: list[WsClient]) -> None:
    await asyncio.gather(*(client.close() for client in clients))
