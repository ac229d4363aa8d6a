"""ws-storm: every client of a removed pod reconnecting at once, against two workers.

Each burst opens its sockets all at once from two client processes; a socket refused with a
hint (503 + Retry-After before the upgrade, 1013 after it) backs off with jitter and retries
until its `session` frame arrives. Reported: how many got in, how fast the whole burst was
in, and each socket's time to `session` (retries included).
"""

from __future__ import annotations

from collections import Counter

from bench.context import RunContext
from bench.fdlimit import raise_open_files
from bench.procstat import CpuWindow
from bench.report import Outcome, Table
from bench.stats import percentile
from bench.wsload.pool import ClientPool

TARGET_SOCKETS = 10_000
TARGET_SECONDS = 10.0
TARGET_P99 = 5.0
CLIENT_PROCESSES = 4

SIZES = {
    "smoke": (200,),
    "moderate": (1_000, 5_000, 10_000),
    "full": (1_000, 5_000, 10_000),
}


def run(ctx: RunContext) -> Outcome:
    raise_open_files(65536)
    server = ctx.stack.voxhub()
    url = server.url.replace("http://", "ws://") + "/ws"
    table = Table(
        "ws-storm: sockets opened at once over two workers, retrying when told to",
        [
            "burst", "connected", "lost", "all in (s)", "handshakes/s", "p50 to session (s)",
            "p99 to session (s)", "503 retries", "1013 retries", "workers", "Voxhub CPU",
            "Redis CPU", "loadgen CPU",
        ],
    )  # fmt: skip
    verdicts: list[tuple[int, bool, str]] = []
    with ClientPool(CLIENT_PROCESSES) as pool:
        for burst in ctx.pick(SIZES):
            window = CpuWindow([*ctx.stack.groups(), pool.group()]).start()
            shares = pool.call_all("storm", timeout=180, url=url, sockets=burst // CLIENT_PROCESSES)
            cores = window.stop()
            connected = sum(share["connected"] for share in shares)
            times = sorted(t for share in shares for t in share["seconds_to_session"])
            retries: Counter[str] = Counter()
            for share in shares:
                retries.update(share["retries"])
            all_in = max(share["elapsed"] for share in shares)
            workers = {worker for share in shares for worker in share["workers"]}
            p99 = percentile(times, 99)
            table.add(
                burst, connected, burst - connected, all_in, connected / all_in,
                percentile(times, 50), p99, retries["503"],
                retries["1013"], len(workers), cores["voxhub"], cores["redis"], cores["loadgen"],
            )  # fmt: skip
            met = connected == burst and all_in <= TARGET_SECONDS and p99 <= TARGET_P99
            verdicts.append((burst, met, f"{burst:,}: {connected:,} in {all_in:.1f} s"))
    table.notes.append(
        f"{CLIENT_PROCESSES} client processes, each opening its share of a burst at once; "
        "CONNECT_RATE and BACKLOG at their defaults; times to session include retries' back-off."
    )
    largest = max(verdicts)
    reached = largest[0] >= TARGET_SOCKETS
    return Outcome(
        "ws-storm",
        [table],
        f"a {TARGET_SOCKETS:,}-socket storm fully connected within {TARGET_SECONDS:g} s, "
        f"p99 time to session under {TARGET_P99:g} s",
        f"{'met' if reached and largest[1] else 'missed'}: "
        + "; ".join(text for _, _, text in verdicts),
    )
