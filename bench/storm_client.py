"""Many sockets opening `/ws` at once, as clients do after a pod goes away: each retries when
refused with a hint (503 + Retry-After before the upgrade, close 1013 after it), backing off
with jitter, until its `session` frame arrives. Used by `tests/ws/test_storm.py` and by
`python -m bench ws-storm`."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

TRY_AGAIN = 1013
RETRY_IN = re.compile(r"retry in (\d+(?:\.\d+)?) s")


@dataclass
class Storm:
    """What a storm of sockets met: who got in, how long it took, what refused them."""

    sockets: list[ClientConnection] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    seconds_to_session: list[float] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


def _backoff(hint: float, attempt: int) -> float:
    """The server's hint, grown for repeated refusals, with full jitter over it."""
    return hint * min(2**attempt, 8) * random.uniform(0.5, 1.5)


async def _open(url: str, storm: Storm, give_up: float) -> None:
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            ws = await websockets.connect(url, open_timeout=give_up, max_queue=16)
        except InvalidStatus as exc:
            if exc.response.status_code != 503 or time.monotonic() - started > give_up:
                storm.failures[f"http_{exc.response.status_code}"] += 1
                return
            storm.retries["503"] += 1
            hint = float(exc.response.headers.get("Retry-After", "1"))
            await asyncio.sleep(_backoff(hint, attempt))
            attempt += 1
            continue
        except (OSError, TimeoutError) as exc:
            storm.failures[type(exc).__name__] += 1
            return
        try:
            first = json.loads(await asyncio.wait_for(ws.recv(), give_up))
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            reason = closed.rcvd.reason if closed.rcvd else ""
            hinted = RETRY_IN.search(reason)
            if code != TRY_AGAIN or not hinted or time.monotonic() - started > give_up:
                storm.failures[f"closed_{code}"] += 1
                return
            storm.retries["1013"] += 1
            await asyncio.sleep(_backoff(float(hinted.group(1)), attempt))
            attempt += 1
            continue
        except TimeoutError:
            storm.failures["no_session"] += 1
            await ws.close()
            return
        if first.get("type") != "session":
            storm.failures[f"first_frame_{first.get('type')}"] += 1
            await ws.close()
            return
        storm.seconds_to_session.append(time.monotonic() - started)
        storm.sessions.append(first["payload"])
        storm.sockets.append(ws)
        return


async def storm(urls: list[str], give_up: float = 30.0) -> Storm:
    """Open one socket per url, all at once."""
    result = Storm()
    started = time.monotonic()
    await asyncio.gather(*(_open(url, result, give_up) for url in urls))
    result.elapsed = time.monotonic() - started
    return result


async def all_alive(sockets: list[ClientConnection], timeout: float = 30.0) -> int:
    """How many of `sockets` answer a `ping` with a `pong` (an attached, working socket)."""

    async def alive(ws: ClientConnection) -> bool:
        try:
            await ws.send(json.dumps({"type": "ping"}))
            async with asyncio.timeout(timeout):
                while True:
                    if json.loads(await ws.recv()).get("type") == "pong":
                        return True
        except (ConnectionClosed, TimeoutError):
            return False

    return sum(await asyncio.gather(*(alive(ws) for ws in sockets)))
