"""match, client side: every socket re-joins `find_match` the moment it is matched.

Each process reports what it saw: every `find_match` sent, every `match_found` received, every
socket it closed on purpose, with times on the machine's one wall clock. The benchmark judges
them across processes (`bench.match_checks`).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from contextlib import suppress
from typing import Any

from bench.wsload.agent import AgentState, command
from bench.wsload.conn import Conn
from bench.wsload.dialects import DIALECTS


class Matcher:
    """Records joins (send times) and matches (receive times); judging is the benchmark's."""

    def __init__(self) -> None:
        self.running = True
        self.joins: list[tuple[str, float]] = []
        self.matches: list[tuple[str, str, str, str, float]] = []  # user, partner, room, role, t
        self.errors: dict[str, int] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def join(self, conn: Conn) -> None:
        if not self.running or not conn.open:
            return
        # Taken before the send, so a match can never look older than the join it answers.
        self.joins.append((conn.user_id, time.time()))
        task = asyncio.get_running_loop().create_task(self._send(conn))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, conn: Conn) -> None:
        with suppress(Exception):  # a socket closed by churn mid-send is expected
            await conn.send("find_match")

    def on_frame(self, conn: Conn, raw: str) -> None:
        if '"match_found"' in raw:
            payload = json.loads(raw)["payload"]
            self.matches.append(
                (conn.user_id, str(payload["partner_id"]), str(payload["room_id"]),
                 str(payload["role"]), time.time())
            )  # fmt: skip
            self.join(conn)
        elif '"error"' in raw[:20]:
            code = str(json.loads(raw).get("payload", {}).get("code"))
            self.errors[code] = self.errors.get(code, 0) + 1


@command("match_run")
async def match_run(
    state: AgentState, url: str, seconds: float, churn_per_second: float, settle: float
) -> dict[str, Any]:
    """Join as fast as matches come for `seconds`; close-and-replace a random socket (most
    are queued at any moment) `churn_per_second` times a second; then stop joining and let
    in-flight matches land for `settle`."""
    matcher = Matcher()
    closed: list[tuple[str, float]] = []
    for conn in state.open_conns():
        conn.on_frame = matcher.on_frame
        matcher.join(conn)
    deadline = time.monotonic() + seconds
    rng = random.Random(state.index)
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0 / churn_per_second if churn_per_second else deadline)
        if not churn_per_second or time.monotonic() >= deadline:
            continue
        candidates = state.open_conns()
        if not candidates:
            continue
        victim = rng.choice(candidates)
        closed_at = time.time()
        await victim.close()
        closed.append((victim.user_id, closed_at))
        try:
            fresh = await Conn.open_to(url, DIALECTS["voxhub"], 10)
        except Exception:
            continue
        state.conns.append(fresh)
        fresh.on_frame = matcher.on_frame
        matcher.join(fresh)
    matcher.running = False
    await asyncio.sleep(settle)
    return {
        "joins": matcher.joins,
        "matches": matcher.matches,
        "closed": closed,
        "errors": matcher.errors,
    }
