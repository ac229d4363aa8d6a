"""rest: requests/s and latency of Voxhub's routes against a bare Sanic app, in one run.

Targets are measured in alternating rounds (bare, live, tokens, bare, ...) so that a noisy
neighbour slows all of them alike; the table shows each target's median round.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
import uuid
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
    users: int  # each request is the next user's, as on a service with many clients


SIZES = {
    "smoke": RestSize(seconds=1, connections=8, rounds=1, users=4),
    "moderate": RestSize(seconds=8, connections=64, rounds=2, users=200),
    "full": RestSize(seconds=15, connections=100, rounds=3, users=1000),
}

BARE_SANIC = [
    "{python}", "-m", "sanic", "bench.peers.bare_sanic:app", "--host", "127.0.0.1",
    "--port", "{port}", "--workers", "2", "--no-access-logs", "--no-motd",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Target:
    label: str
    url: str
    server: str  # the process group that does the work
    authorizations: list[str] | None = None  # one per user, sent in turn


async def _insert_users(database_url: str, count: int) -> list[int]:
    from databases import Database

    from app.db.tables.users import users
    from app.db.urls import async_url

    database = Database(async_url(database_url))
    await database.connect()
    try:
        return [
            await database.execute(
                users.insert().values(username=f"bench-rest-{uuid.uuid4().hex}", balance=1000)
            )
            for _ in range(count)
        ]
    finally:
        await database.disconnect()


def user_authorizations(database_url: str, count: int) -> list[str]:
    """Real user rows and a Bearer JWT for each, so the route does its full PostgreSQL work."""
    from app.auth.tokens import issue_token

    user_ids = asyncio.run(_insert_users(database_url, count))
    with warnings.catch_warnings():  # the test secret is shorter than PyJWT recommends
        warnings.simplefilter("ignore")
        return [
            f"Bearer {issue_token(TEST_JWT_SECRET, str(user_id), 'user', 3600)}"
            for user_id in user_ids
        ]


def probe(target: Target) -> int:
    headers = {"Authorization": target.authorizations[0]} if target.authorizations else {}
    request = urllib.request.Request(target.url, headers=headers)
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
        targets = [
            Target("bare Sanic `GET /` (constant JSON)", bare.url + "/", "bare-sanic"),
            Target("Voxhub `GET /health/live`", voxhub.url + "/health/live", "voxhub"),
            Target(
                f"Voxhub `GET /api/tokens` (JWT + PostgreSQL, {size.users:,} users in turn)",
                voxhub.url + "/api/tokens",
                "voxhub",
                user_authorizations(voxhub.env["DATABASE_URL"], size.users),
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
                    header_cycle=(
                        ("Authorization", target.authorizations) if target.authorizations else None
                    ),
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
