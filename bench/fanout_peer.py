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
    top = max(ctx.pick(SIZES).deliveries)
    capped = {k for k, step in best_per_k(ours).items() if step and step.target == top}
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
        _verdict(ratios, capped),
    )


def compare(ours: list[Step], theirs: list[Step]) -> tuple[Table, dict[int, float]]:
    """Step by step where both ran the same K and target, plus the best-step ratio per K."""
    table = Table(
        "fanout-peer: Voxhub / python-socketio at the same steps",
        [
            "watchers K", "target deliveries/s", "Voxhub achieved/s", "python-socketio achieved/s",
            "throughput ratio", "Voxhub p99 ms", "python-socketio p99 ms",
            "p99 ratio (peer / Voxhub)", "passed (Voxhub / peer)",
        ],
    )  # fmt: skip
    peer_steps = {(step.watchers, step.target): step for step in theirs}
    for mine in ours:
        peer = peer_steps.get((mine.watchers, mine.target))
        if peer is None:
            continue
        table.add(
            mine.watchers, mine.target, mine.achieved, peer.achieved,
            f"{mine.achieved / peer.achieved:.2f}×" if peer.achieved else "—",
            mine.latency.p99_ms, peer.latency.p99_ms,
            peer.latency.p99_ms / mine.latency.p99_ms if mine.latency.p99_ms else math.nan,
            f"{'yes' if mine.passed else 'no'} / {'yes' if peer.passed else 'no'}",
        )  # fmt: skip
    ratios: dict[int, float] = {}
    best_theirs = best_per_k(theirs)
    for watchers, mine in best_per_k(ours).items():
        peer = best_theirs.get(watchers)
        if mine is None and peer is None:
            table.notes.append(f"K={watchers:,}: neither passed any step; compare the p99s.")
            continue
        ratios[watchers] = (mine.achieved if mine else 0.0) / peer.achieved if peer else math.inf
    table.notes.append(
        "p99 ratio > 1: Voxhub's tail is shorter. A sweep stops at each side's first failing "
        "step, so rows exist only where both ran."
    )
    return table, ratios


def _verdict(ratios: dict[int, float], capped: set[int]) -> str:
    """`capped`: the K where Voxhub passed the sweep's last step, so its ratio is a floor."""
    if not ratios:
        return "missed: at no K did either server pass a step (see the p99s)"
    worst = min(ratios.values())
    state = "met" if worst >= TARGET_RATIO else "missed"
    detail = ", ".join(f"K={k:,}: {'≥ ' if k in capped else ''}{r:.2f}×" for k, r in ratios.items())
    note = " (≥: Voxhub passed the sweep's last step)" if capped else ""
    return f"{state}: best passing deliveries/s, Voxhub / python-socketio: {detail}{note}"
