"""ws-capacity: idle sockets held by `voxhub serve --workers 2`, stepped up to 20,000.

Each socket has its `session` and answers every ping, as an idle phone would. The server is
started fresh so the memory baseline is not an earlier benchmark's heap; memory is RSS of all
server processes above that baseline, CPU is measured while the sockets sit idle.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

from bench.context import RunContext
from bench.procstat import CpuWindow
from bench.report import Outcome, Table
from bench.wsbench import MB, Opened, open_across
from bench.wsload.dialects import DIALECTS
from bench.wsload.pool import ClientPool

TARGET_CONNECTIONS = 20_000
TARGET_KB = 25.0
# One client process holds this many sockets before its own event loop is the bottleneck.
SOCKETS_PER_CLIENT = 5_000
# Handshakes in flight over all clients. The benchmark measures sockets held, not a connect
# storm: at 400 in flight, each worker's redis-py pool (100 connections, non-blocking)
# raised MaxConnectionsError and the gateway dropped sockets right after their session.
HANDSHAKES_IN_FLIGHT = 100


@dataclass(frozen=True, slots=True)
class CapacitySize:
    steps: tuple[int, ...]
    idle_seconds: float
    heartbeat: str


SIZES = {
    "smoke": CapacitySize(steps=(50, 200), idle_seconds=1.5, heartbeat="1s"),
    "moderate": CapacitySize(steps=(1_000, 5_000, 10_000), idle_seconds=10.0, heartbeat="5s"),
    "full": CapacitySize(steps=(1_000, 5_000, 10_000, 20_000), idle_seconds=20.0, heartbeat="10s"),
}


@dataclass(frozen=True, slots=True)
class Step:
    wanted: int
    opened: Opened
    alive: int
    kb_per_conn: float


def run(ctx: RunContext) -> Outcome:
    size = ctx.pick(SIZES)
    heartbeat = size.heartbeat.removesuffix("s")
    server = ctx.stack.voxhub(
        fresh=True,
        HEARTBEAT_INTERVAL=size.heartbeat,
        CONNECTION_TIMEOUT=f"{float(heartbeat) * 3:g}s",
    )
    url = DIALECTS["voxhub"].url(server.url)
    groups = ctx.stack.groups()
    voxhub, redis = groups[0], groups[1]
    table = Table(
        "ws-capacity: idle sockets over two workers",
        [
            "sockets", "open", "refused", "per worker", "Voxhub RSS MB", "above idle MB",
            "KB / socket", "Redis +MB", "Voxhub CPU idle", "Redis CPU", "loadgen CPU",
            "loadgen RSS MB", "pongs/s",
        ],
    )  # fmt: skip
    steps: list[Step] = []
    clients = max(1, math.ceil(max(size.steps) / SOCKETS_PER_CLIENT))
    with ClientPool(clients) as pool:
        time.sleep(1.0)
        base_rss, base_redis = voxhub.rss_bytes(), redis.rss_bytes()
        window = CpuWindow([*groups, pool.group()]).start()
        time.sleep(size.idle_seconds)
        idle = window.stop()
        table.add(
            0, 0, 0, "—", base_rss / MB, 0.0, None, 0.0,
            idle["voxhub"], idle["redis"], idle["loadgen"], pool.group().rss_bytes() / MB, 0.0,
        )  # fmt: skip
        total = Opened()
        for wanted in size.steps:
            step_open = open_across(
                pool, url, "voxhub", wanted - total.opened,
                concurrency=max(1, HANDSHAKES_IN_FLIGHT // clients),
            )  # fmt: skip
            total.opened += step_open.opened
            total.failed += step_open.failed
            total.errors.update(step_open.errors)
            before = sum(s["pongs"] for s in pool.call_all("status", timeout=30))
            window = CpuWindow([*groups, pool.group()]).start()
            time.sleep(size.idle_seconds)
            cores = window.stop()
            statuses = pool.call_all("status", timeout=30)
            pongs = sum(s["pongs"] for s in statuses) - before
            alive = sum(s["open"] for s in statuses)
            workers = sum((Counter(s["workers"]) for s in statuses), Counter())
            total.workers = workers
            rss = voxhub.rss_bytes()
            kb = (rss - base_rss) / 1024 / alive if alive else math.nan
            steps.append(Step(wanted, step_open, alive, kb))
            table.add(
                wanted, alive, total.failed, total.split_text(), rss / MB, (rss - base_rss) / MB,
                kb, (redis.rss_bytes() - base_redis) / MB, cores["voxhub"], cores["redis"],
                cores["loadgen"], pool.group().rss_bytes() / MB, pongs / window.wall,
            )  # fmt: skip
            if alive < wanted:
                table.notes.append(
                    f"stopped at {wanted:,}: {alive:,} open; errors {dict(total.errors)}"
                )
                break
        pool.call_all("close_all", timeout=120)
    table.notes.append(
        f"HEARTBEAT_INTERVAL={size.heartbeat}: every socket is pinged and answers within the "
        f"idle window of {size.idle_seconds:g} s; {clients} client process(es), "
        f"{HANDSHAKES_IN_FLIGHT} handshakes in flight at most."
    )
    table.notes.append(
        "RSS sums the Sanic main process and both workers; 'above idle' is against the same "
        "server with no sockets (first row)."
    )
    return Outcome(
        "ws-capacity",
        [table],
        f"{TARGET_CONNECTIONS:,} sockets on one 2-core machine, ≤ {TARGET_KB:g} KB RSS each",
        _verdict(steps),
    )


def _verdict(steps: list[Step]) -> str:
    held = [step for step in steps if step.alive >= step.wanted]
    if not held:
        return "missed: no step held all its sockets"
    best = held[-1]
    reached = best.wanted >= TARGET_CONNECTIONS
    light = best.kb_per_conn <= TARGET_KB
    state = "met" if reached and light else "missed"
    return f"{state}: held {best.alive:,} sockets at {best.kb_per_conn:.1f} KB RSS each" + (
        "" if reached else f" (largest step at this scale; target {TARGET_CONNECTIONS:,})"
    )
