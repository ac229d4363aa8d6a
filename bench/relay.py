"""relay: cross-worker signaling latency at fixed relay rates.

Pairs are matched through `find_match` with their two sockets on different workers, so every
`ice_candidate` crosses Redis pub/sub from one worker process to the other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bench.context import RunContext
from bench.procstat import CpuWindow
from bench.report import Outcome, Table
from bench.stats import Latency
from bench.wsload.dialects import DIALECTS
from bench.wsload.pool import ClientPool, split

TARGET_RATE = 2000
MAX_PAIRING_ROUNDS = 10


@dataclass(frozen=True, slots=True)
class RelaySize:
    pairs: int
    rates: tuple[int, ...]
    seconds: float


SIZES = {
    "smoke": RelaySize(pairs=4, rates=(200,), seconds=1.0),
    "moderate": RelaySize(pairs=50, rates=(500, 2000, 5000), seconds=5.0),
    "full": RelaySize(pairs=100, rates=(500, 2000, 5000), seconds=10.0),
}


def run(ctx: RunContext) -> Outcome:
    size = ctx.pick(SIZES)
    server = ctx.stack.voxhub()
    url = DIALECTS["voxhub"].url(server.url)
    table = Table(
        "relay: ice_candidate between pairs matched across the two workers",
        [
            "target relays/s", "achieved/s", "p50 ms", "p99 ms", "max ms", "not in by +5 s",
            "errors",
            "Voxhub CPU", "Redis CPU", "loadgen CPU", "loadgen max lag ms",
        ],
    )  # fmt: skip
    rows: dict[int, Latency] = {}
    with ClientPool(2) as pool:
        pairs = _pair_across_workers(pool, url, size.pairs)
        for rate in size.rates:
            window = CpuWindow([*ctx.stack.groups(), pool.group()]).start()
            results = pool.call_all(
                "relay_run", timeout=size.seconds + 60, rate=rate / len(pool), seconds=size.seconds
            )
            cores = window.stop()
            latency = Latency.of([value for r in results for value in r["latencies"]])
            errors: Counter[str] = Counter()
            for result in results:
                errors.update(result["errors"])
            sent = sum(r["sent"] for r in results)
            rows[rate] = latency
            table.add(
                rate,
                latency.count / max(r["elapsed"] for r in results),
                latency.p50_ms,
                latency.p99_ms,
                latency.max_ms,
                sent - latency.count - sum(errors.values()),
                ", ".join(f"{k}: {v}" for k, v in errors.items()) or 0,
                cores["voxhub"],
                cores["redis"],
                cores["loadgen"],
                max(r["max_slip_ms"] for r in results),
            )
        pool.call_all("close_all", timeout=60)
    table.notes.append(
        f"{pairs} pairs, {size.seconds:g} s per rate, both directions; latency is one-way, "
        "send to receive, measured in one client process on one clock."
    )
    table.notes.append(
        "loadgen max lag: how late the client sent against its schedule (its own CPU limit)."
    )
    return Outcome("relay", [table], "p50 ≤ 1 ms, p99 ≤ 5 ms at 2,000 relays/s", _verdict(rows))


def _pair_across_workers(pool: ClientPool, url: str, wanted: int) -> int:
    """Pairs with one socket on each worker. Which worker accepts a socket is the kernel's
    choice, so each client opens sockets in rounds until it can pair its share."""
    shares = split(wanted, len(pool))
    paired = [0] * len(pool)
    for _ in range(MAX_PAIRING_ROUNDS):
        for index, share in enumerate(shares):
            missing = share - paired[index]
            if missing <= 0:
                continue
            pool.call(
                index, "open", timeout=120, url=url, dialect="voxhub", count=missing * 2,
                concurrency=50, timeout_each=15,
            )  # fmt: skip
            paired[index] = pool.call(index, "relay_pair", timeout=120, pairs=missing)["pairs"]
        if paired == shares:
            return wanted
    raise RuntimeError(
        f"only {sum(paired)} of {wanted} cross-worker pairs after {MAX_PAIRING_ROUNDS} rounds"
    )


def _verdict(rows: dict[int, Latency]) -> str:
    at = rows.get(TARGET_RATE)
    if at is None:
        return f"not measured at this scale (no {TARGET_RATE:,}/s step)"
    met = at.p50_ms <= 1 and at.p99_ms <= 5
    return (
        f"{'met' if met else 'missed'}: at {TARGET_RATE:,}/s p50 {at.p50_ms:.2f} ms, "
        f"p99 {at.p99_ms:.2f} ms"
    )
