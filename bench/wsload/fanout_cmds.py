"""fanout, client side: watchers record when each roulette update arrives; one publisher sends.

An update is identified by the length of its `numbers` history (the n-th save on a key carries
n numbers), read from the raw text without parsing the JSON: at tens of thousands of frames a
second, parsing would make the load generator, not the server, the bottleneck.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.wsload.agent import AgentState, command
from bench.wsload.conn import Conn
from bench.wsload.dialects import DIALECTS


def history_length(raw: str) -> int:
    start = raw.find('"numbers":')
    if start < 0:
        return -1
    opening = raw.find("[", start)
    closing = raw.find("]", opening)
    if opening < 0 or closing < 0:
        return -1
    if raw[opening + 1 : closing].strip() == "":
        return 0
    return raw.count(",", opening, closing) + 1


@command("fan_watch")
async def fan_watch(state: AgentState, key: str) -> dict[str, Any]:
    """Every open socket of this process watches `key`; arrivals are kept as (seq, time)."""
    arrivals: list[tuple[int, float]] = []
    marker = f'"{key}"'

    def on_frame(conn: Conn, raw: str) -> None:
        if "rouletteUpdate" in raw and marker in raw:
            arrivals.append((history_length(raw), time.time()))

    watchers = state.open_conns()
    for conn in watchers:
        conn.on_frame = on_frame
    await asyncio.gather(*(conn.send("subscribe", key=key) for conn in watchers))
    state.scenario["arrivals"] = arrivals
    return {"watchers": len(watchers)}


@command("fan_count")
async def fan_count(state: AgentState) -> int:
    return len(state.scenario["arrivals"])


@command("fan_collect")
async def fan_collect(state: AgentState, sent_at: dict[int, float]) -> dict[str, Any]:
    """Latencies of the arrivals that match a send, then forget them all (the next step)."""
    arrivals: list[tuple[int, float]] = state.scenario["arrivals"]
    taken = list(arrivals)
    arrivals.clear()
    latencies = [at - sent_at[seq] for seq, at in taken if seq in sent_at]
    last = max((at for seq, at in taken if seq in sent_at), default=0.0)
    return {"latencies": latencies, "unmatched": len(taken) - len(latencies), "last": last}


@command("fan_publisher")
async def fan_publisher(state: AgentState, url: str, dialect: str) -> str:
    """A socket that only publishes (kept apart from the watchers)."""
    conn = await Conn.open_to(url, DIALECTS[dialect], 10)
    conn.on_frame = lambda conn, raw: None
    state.scenario["publisher"] = conn
    state.scenario["published"] = {}
    return conn.user_id


@command("fan_publish")
async def fan_publish(state: AgentState, key: str, rate: float, count: int) -> dict[str, Any]:
    """`count` saves on `key` at `rate`/s; returns each one's history length → send time."""
    conn: Conn = state.scenario["publisher"]
    published: dict[str, int] = state.scenario["published"]
    interval = 1.0 / rate
    started = time.perf_counter()
    sent_at: dict[int, float] = {}
    slip = 0.0
    for index in range(count):
        due = started + index * interval
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        else:
            slip = max(slip, now - due)
        published[key] = published.get(key, 0) + 1
        sent_at[published[key]] = time.time()
        await conn.send("saveNumber", key=key, number=index % 37)
    return {"sent_at": sent_at, "max_slip_ms": slip * 1000}
