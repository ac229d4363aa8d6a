"""relay, client side: pair sockets across workers, then trade `ice_candidate` at a fixed rate.

Both ends of a pair live in the same process, so one-way latency is measured on one clock
(`perf_counter` carried in the payload).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from contextlib import suppress
from typing import Any

from bench.wsload.agent import AgentState, command
from bench.wsload.conn import Conn

CANDIDATE = "candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host"
PAIR_TIMEOUT = 10.0


def cross_worker_pairs(conns: list[Conn], wanted: int) -> list[tuple[Conn, Conn]]:
    """Pairs whose two ends sit on different workers, as many as the split allows."""
    by_worker: dict[str, list[Conn]] = {}
    for conn in conns:
        by_worker.setdefault(conn.worker, []).append(conn)
    groups = sorted(by_worker.values(), key=len, reverse=True)
    if len(groups) < 2:
        return []
    pairs: list[tuple[Conn, Conn]] = []
    first, rest = groups[0], [conn for group in groups[1:] for conn in group]
    for a, b in zip(first, rest, strict=False):
        if len(pairs) == wanted:
            break
        pairs.append((a, b))
    return pairs


@command("relay_pair")
async def relay_pair(state: AgentState, pairs: int) -> dict[str, Any]:
    """Match up to `pairs` more pairs through `find_match`, one at a time so that nobody
    else cuts in; sockets already paired are left alone. Returns the total paired so far."""
    matched: list[tuple[Conn, Conn]] = state.scenario.setdefault("pairs", [])
    taken = {conn for pair in matched for conn in pair}
    free = [conn for conn in state.open_conns() if conn not in taken]
    for a, b in cross_worker_pairs(free, pairs):
        await a.send("find_match")
        await a.expect({"waiting"}, PAIR_TIMEOUT)
        await b.send("find_match")
        found_b = await b.expect({"match_found"}, PAIR_TIMEOUT)
        found_a = await a.expect({"match_found"}, PAIR_TIMEOUT)
        if found_a["payload"]["partner_id"] != b.user_id or (
            found_b["payload"]["partner_id"] != a.user_id
        ):
            raise RuntimeError(f"paired with a stranger: {found_a} / {found_b}")
        matched.append((a, b))
    return {"pairs": len(matched)}


@command("relay_run")
async def relay_run(state: AgentState, rate: float, seconds: float) -> dict[str, Any]:
    """Send `rate` relays/s for `seconds`, alternating direction and pair; then drain."""
    pairs: list[tuple[Conn, Conn]] = state.scenario["pairs"]
    latencies: list[float] = []
    errors: Counter[str] = Counter()

    def on_frame(conn: Conn, raw: str) -> None:
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "ice_candidate":
            latencies.append(time.perf_counter() - frame["payload"]["t"])
        elif kind == "error":
            errors[str(frame.get("payload", {}).get("code"))] += 1

    for a, b in pairs:
        a.on_frame = b.on_frame = on_frame
    interval = 1.0 / rate
    started = time.perf_counter()
    deadline = started + seconds
    sent, slip = 0, 0.0
    while True:
        due = started + sent * interval
        if due >= deadline:
            break
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        else:
            slip = max(slip, now - due)
        a, b = pairs[(sent // 2) % len(pairs)]
        sender, receiver = (a, b) if sent % 2 == 0 else (b, a)
        payload = {
            "candidate": CANDIDATE,
            "sdpMid": "0",
            "sdpMLineIndex": 0,
            "seq": sent,
            "t": time.perf_counter(),
        }
        await sender.send("ice_candidate", payload=payload, to=receiver.user_id)
        sent += 1
    elapsed = time.perf_counter() - started
    with suppress(TimeoutError):  # what is still missing then is reported as lost
        async with asyncio.timeout(5):
            while len(latencies) + sum(errors.values()) < sent:
                await asyncio.sleep(0.02)
    return {
        "sent": sent,
        "elapsed": elapsed,
        "latencies": latencies,
        "errors": dict(errors),
        "max_slip_ms": slip * 1000,
    }
