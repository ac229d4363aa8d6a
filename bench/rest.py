"""rest: requests/s and latency of Voxhub's routes against a bare Sanic app, in one run.

Targets are measured in alternating rounds (bare, live, tokens, bare, ...) so that a noisy
neighbour slows all of them alike; the table shows each target's median round.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass

from bench.context import RunContext
from bench.procstat import CpuWindow
from bench.report import Outcome, Table
from bench.stack import TEST_JWT_SECRET
from bench.wrk import WrkResult, run_wrk


@dataclass(frozen=True, slots=True)
class RestSize:
    seconds: float
    connections: int
    rounds: int


SIZES = {
    "smoke": RestSize(seconds=1, connections=8, rounds=1),
    "moderate": RestSize(seconds=8, connections=64, rounds=2),
    "full": RestSize(seconds=15, connections=100, rounds=3),
}

BARE_SANIC = [
    "{python}", "-m", "sanic", "bench.peers.bare_sanic:app", "--host", "127.0.0.1",
    "--port", "{port}", "--workers", "2", "--no-access-logs", "--no-motd",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Target:
    label: str
    url: str
    headers: dict[str, str]
    server: str  # the process group that does the work


async def _insert_user(database_url: str) -> int:
    from databases import Database

    from app.db.tables.users import users
    from app.db.urls import async_url

    database = Database(async_url(database_url))
    await database.connect()
    try:
        return await database.execute(
            users.insert().values(username="bench-rest", balance=1000, role="user")
        )
    finally:
        await database.disconnect()


def user_token(database_url: str) -> str:
    """A real user row and a JWT for it, so the route does its full PostgreSQL work."""
    from app.auth.tokens import issue_token

    user_id = asyncio.run(_insert_user(database_url))
    with warnings.catch_warnings():  # the test secret is shorter than PyJWT recommends
        warnings.simplefilter("ignore")
        return issue_token(TEST_JWT_SECRET, str(user_id), "user", 3600)


def probe(target: Target) -> int:
    request = urllib.request.Request(target.url, headers=target.headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def run(ctx: RunContext) -> Outcome:
    size = ctx.pick(SIZES)
    voxhub = ctx.stack.voxhub()
    bare = ctx.stack.peer("bare-sanic", BARE_SANIC)
    try:
        token = user_token(voxhub.env["DATABASE_URL"])
        targets = [
            Target("bare Sanic `GET /` (constant JSON)", bare.url + "/", {}, "bare-sanic"),
            Target("Voxhub `GET /health/live`", voxhub.url + "/health/live", {}, "voxhub"),
            Target(
                "Voxhub `GET /api/tokens` (JWT + PostgreSQL)",
                voxhub.url + "/api/tokens",
                {"Authorization": f"Bearer {token}"},
                "voxhub",
            ),
        ]
        statuses = {t.label: probe(t) for t in targets}
        groups = [*ctx.stack.groups(), bare.group()]
        rounds: dict[str, list[tuple[WrkResult, dict[str, float]]]] = {t.label: [] for t in targets}
        for _ in range(size.rounds):
            for target in targets:
                window = CpuWindow(groups).start()
                result = run_wrk(
                    target.url,
                    seconds=size.seconds,
                    connections=size.connections,
                    headers=target.headers,
                )
                cores = window.stop(extra={"wrk": result.cpu_seconds})
                rounds[target.label].append((result, cores))
    finally:
        ctx.stack.stop_peer(bare)
    return _outcome(size, targets, statuses, rounds)


def _median_round(results: list[tuple[WrkResult, dict[str, float]]]):
    ordered = sorted(results, key=lambda item: item[0].rps)
    return ordered[len(ordered) // 2]


def _outcome(size, targets, statuses, rounds) -> Outcome:
    table = Table(
        "rest: wrk, 1 thread, keep-alive, median round",
        [
            "target", "status", "requests/s", "vs bare", "p50 ms", "p99 ms", "non-2xx",
            "socket errors", "server CPU (cores)", "PostgreSQL CPU", "wrk CPU (cores)",
        ],
    )  # fmt: skip
    bare_rps = _median_round(rounds[targets[0].label])[0].rps
    ratios: dict[str, float] = {}
    for target in targets:
        result, cores = _median_round(rounds[target.label])
        ratios[target.label] = result.rps / bare_rps if bare_rps else 0.0
        table.add(
            target.label,
            statuses[target.label],
            result.rps,
            f"{ratios[target.label]:.0%}",
            result.p50_ms,
            result.p99_ms,
            result.non_2xx,
            result.errors,
            cores.get(target.server, 0.0) + cores.get("redis", 0.0),
            cores.get("postgres", 0.0),
            cores.get("wrk", 0.0),
        )
    table.notes.append(
        f"{size.connections} connections, {size.seconds:g} s per round, {size.rounds} "
        "round(s) alternating between targets; both servers run 2 worker processes."
    )
    table.notes.append("server CPU = the target's processes plus Redis; 2.00 = both cores busy.")
    tokens = targets[2].label
    if statuses[tokens] != 200:
        verdict = (
            f"not measurable yet: `GET /api/tokens` answered {statuses[tokens]} "
            "(the accounts route has not landed); `/health/live` runs at "
            f"{ratios[targets[1].label]:.0%} of bare Sanic"
        )
    else:
        ratio = ratios[tokens]
        verdict = (
            f"{'met' if ratio >= 0.5 else 'missed'}: the authenticated PostgreSQL route runs at "
            f"{ratio:.0%} of bare Sanic; `/health/live` at {ratios[targets[1].label]:.0%}"
        )
    return Outcome(
        "rest",
        [table],
        "authenticated PostgreSQL-backed route ≥ 50% of the bare Sanic app's requests/s",
        verdict,
    )
