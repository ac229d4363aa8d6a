"""fanout-peer: the fanout sweep against python-socketio's AsyncRedisManager on uvicorn.

Same Redis, same client processes and framing code (Socket.IO dialect), same steps, same run;
Voxhub's side is the run's `fanout` sweep, measured once.
"""

from __future__ import annotations

import math

from bench.context import RunContext
from bench.fanout import SIZES, Step, Target, best_per_k, steps_table, sweep, voxhub_sweep
from bench.report import Outcome, Table

TARGET_RATIO = 2.0

UVICORN_SOCKETIO = [
    "{python}", "-m", "uvicorn", "bench.peers.socketio_roulette:app", "--host", "127.0.0.1",
    "--port", "{port}", "--workers", "2", "--log-level", "warning", "--no-access-log",
]  # fmt: skip


def run(ctx: RunContext) -> Outcome:
    ours = voxhub_sweep(ctx)
    peer = ctx.stack.peer(
        "socketio", UVICORN_SOCKETIO, env={"BENCH_REDIS_URL": ctx.stack.redis.url}
    )
    try:
        target = Target(
            "python-socketio", peer.url, "socketio", peer.group(), ctx.stack.groups()[1]
        )
        theirs = sweep(target, ctx.pick(SIZES))
    finally:
        ctx.stack.stop_peer(peer)
    comparison, ratios = compare(ours, theirs)
    return Outcome(
        "fanout-peer",
        [
            steps_table(
                "fanout-peer: python-socketio 5 + AsyncRedisManager on uvicorn, two workers",
                "python-socketio",
                theirs,
            ),
            comparison,
        ],
        f"≥ {TARGET_RATIO:g}× python-socketio's deliveries/s (p99 < 200 ms)",
        _verdict(ratios),
    )


def _p99_at(steps: list[Step], watchers: int, target: int) -> float:
    for step in steps:
        if step.watchers == watchers and step.target == target and step.passed:
            return step.latency.p99_ms
    return math.nan


def compare(ours: list[Step], theirs: list[Step]) -> tuple[Table, dict[int, float]]:
    table = Table(
        "fanout-peer: Voxhub / python-socketio, best passing step per K",
        [
            "watchers K", "Voxhub deliveries/s", "python-socketio deliveries/s",
            "throughput ratio", "common step /s", "Voxhub p99 ms", "python-socketio p99 ms",
            "p99 ratio (peer / Voxhub)",
        ],
    )  # fmt: skip
    best_ours, best_theirs = best_per_k(ours), best_per_k(theirs)
    ratios: dict[int, float] = {}
    for watchers, mine in best_ours.items():
        peer = best_theirs.get(watchers)
        ours_rate = mine.achieved if mine else 0.0
        theirs_rate = peer.achieved if peer else 0.0
        ratios[watchers] = ours_rate / theirs_rate if theirs_rate else math.inf
        common = min(mine.target if mine else 0, peer.target if peer else 0)
        p99_ours, p99_theirs = _p99_at(ours, watchers, common), _p99_at(theirs, watchers, common)
        table.add(
            watchers, ours_rate, theirs_rate, f"{ratios[watchers]:.2f}×", common or None,
            p99_ours, p99_theirs, p99_theirs / p99_ours if p99_ours else math.nan,
        )  # fmt: skip
    table.notes.append(
        "the sweep stops at the first failing step, so a best step is a lower bound of the "
        "capacity at that K; the p99s compare both servers at the highest step both passed."
    )
    return table, ratios


def _verdict(ratios: dict[int, float]) -> str:
    if not ratios:
        return "missed: nothing measured"
    worst = min(ratios.values())
    state = "met" if worst >= TARGET_RATIO else "missed"
    detail = ", ".join(f"K={k:,}: {r:.2f}×" for k, r in ratios.items())
    return f"{state}: Voxhub / python-socketio throughput {detail}"
