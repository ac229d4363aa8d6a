"""match: clients joining `find_match` across two workers as fast as matches come back.

Every client re-joins the moment it is matched (which leaves its room, as "next" does), and a
few waiting clients are closed and replaced each second, so the matcher must also drop the
departed. Violations must be zero; they are judged across all client processes.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from bench.context import RunContext
from bench.match_checks import judge
from bench.procstat import CpuWindow
from bench.report import Outcome, Table
from bench.wsbench import open_across, require_all_open
from bench.wsload.dialects import DIALECTS
from bench.wsload.pool import ClientPool

TARGET_MATCHES = 2_000
GHOST_GRACE = 1.0
SETTLE = 2.0


@dataclass(frozen=True, slots=True)
class MatchSize:
    clients: int
    seconds: float
    churn_per_second: float


SIZES = {
    "smoke": MatchSize(clients=40, seconds=2.0, churn_per_second=4.0),
    "moderate": MatchSize(clients=600, seconds=8.0, churn_per_second=20.0),
    "full": MatchSize(clients=2_000, seconds=15.0, churn_per_second=50.0),
}


def run(ctx: RunContext) -> Outcome:
    size = ctx.pick(SIZES)
    server = ctx.stack.voxhub()
    url = DIALECTS["voxhub"].url(server.url)
    with ClientPool(2) as pool:
        opened = open_across(pool, url, "voxhub", size.clients)
        require_all_open(opened, size.clients, "match")
        window = CpuWindow([*ctx.stack.groups(), pool.group()]).start()
        started = time.time()
        results = pool.call_all(
            "match_run",
            timeout=size.seconds + SETTLE + 60,
            url=url,
            seconds=size.seconds,
            churn_per_second=size.churn_per_second / len(pool),
            settle=SETTLE,
        )
        cores = window.stop()
        pool.call_all("close_all", timeout=120)
    joins = [join for r in results for join in r["joins"]]
    matches = [match for r in results for match in r["matches"]]
    closed = {user: at for r in results for user, at in r["closed"]}
    errors: Counter[str] = Counter()
    for result in results:
        errors.update(result["errors"])
    verdict = judge(joins, matches, closed, GHOST_GRACE)
    deadline = started + size.seconds
    in_time = {room for _, _, room, _, at in matches if at <= deadline}
    joins_in_time = sum(1 for _, at in joins if at <= deadline)
    matches_per_s = len(in_time) / size.seconds
    table = Table(
        "match: find_match across two workers, re-joining at once, with churn",
        [
            "clients", "seconds", "joins/s", "matches/s", "rooms", "two rooms at once",
            "self-matches", "ghost matches", "inconsistent rooms", "one-sided rooms",
            "close races (allowed)", "error frames", "Voxhub CPU", "Redis CPU", "loadgen CPU",
        ],
    )  # fmt: skip
    table.add(
        size.clients, size.seconds, joins_in_time / size.seconds, matches_per_s, verdict.rooms,
        verdict.double_rooms, verdict.self_matches, verdict.ghost_matches,
        verdict.inconsistent_rooms, verdict.one_sided_rooms, verdict.close_races,
        ", ".join(f"{k}: {v}" for k, v in errors.items()) or 0,
        cores["voxhub"], cores["redis"], cores["loadgen"],
    )  # fmt: skip
    table.notes.append(
        f"sockets per worker {opened.split_text()}; {len(closed)} waiting sockets closed and "
        f"replaced during the run; a ghost is a partner closed > {GHOST_GRACE:g} s before "
        "the room formed; rooms/s count rooms formed before the deadline."
    )
    table.notes.extend(f"example: {text}" for text in verdict.examples)
    met = matches_per_s >= TARGET_MATCHES and verdict.violations == 0
    return Outcome(
        "match",
        [table],
        f"≥ {TARGET_MATCHES:,} matches/s with zero correctness violations",
        f"{'met' if met else 'missed'}: {matches_per_s:,.0f} matches/s, "
        f"{verdict.violations} violations",
    )
