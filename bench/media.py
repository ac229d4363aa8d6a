"""media: concurrent echo-and-record calls on one `voxhub media-worker` against aiortc's stock.

Voxhub's side is the real path: callers POST their offer to `voxhub serve`, which hands it to
one `voxhub media-worker` process through Redis; the worker echoes the caller's Opus packets
and records them to OGG without decoding. The peer is one process doing what aiortc's examples
do (`bench.peers.stock_media`): decode, relay, re-encode for the echo and for `MediaRecorder`.
The same aiortc callers, in the same client processes, call both at each step of the sweep,
one after the other, in one run.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import redis

from app.media.registry import worker_key
from bench.context import RunContext
from bench.mediaload.recording import check_recording
from bench.procstat import CpuWindow, ProcessGroup
from bench.report import Outcome, Table
from bench.stats import Latency
from bench.wsload.pool import ClientPool, split
from tests.fixtures.ports import wait_until
from tests.fixtures.voxhub_server import VOXHUB

LATENCY_BOUND_MS = 50.0
ECHO_TARGET_MS = 200.0
TARGET_RATIO = 4.0
COLLAPSED_P99_MS = 1000.0
"""Past this p99 (or with calls refused or half the bursts lost) a side's sweep stops."""
WORKER_ID = "bench-media"
COMMANDS = ("bench.mediaload.cmds",)

STOCK = [
    "{python}", "-m", "sanic", "bench.peers.stock_media:app", "--host", "127.0.0.1",
    "--port", "{port}", "--single-process", "--no-access-logs", "--no-motd",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class MediaSize:
    calls: tuple[int, ...]
    seconds: float
    processes: int


SIZES = {
    "smoke": MediaSize(calls=(1, 2), seconds=3.0, processes=1),
    "moderate": MediaSize(calls=(1, 4, 8, 16, 32), seconds=8.0, processes=2),
    "full": MediaSize(calls=(1, 4, 8, 16, 32, 48, 64), seconds=10.0, processes=2),
}


@dataclass(slots=True)
class Side:
    name: str
    url: str
    server: ProcessGroup
    recordings: Path
    others: list[ProcessGroup] = field(default_factory=list)
    """Processes busy for this side outside the media process (Voxhub's API, Redis...)."""
    collapsed: bool = False


@dataclass(slots=True)
class Step:
    side: str
    calls: int
    placed: int
    latency: Latency
    lost: int
    echo_per_call: float
    echo_identical: float
    server_cores: float
    other_cores: float
    loadgen_cores: float
    max_lag_ms: float
    recordings: str
    recording_identical: float
    errors: str

    @property
    def cpu_per_call(self) -> float:
        return self.server_cores / self.calls

    @property
    def within_bound(self) -> bool:
        return self.placed == self.calls and self.latency.p99_ms < LATENCY_BOUND_MS


def run(ctx: RunContext) -> Outcome:
    size = ctx.pick(SIZES)
    api = ctx.stack.voxhub()
    workdir = Path(tempfile.mkdtemp(prefix="voxhub-bench-media-"))
    worker = ctx.stack.peer(
        "media-worker",
        [VOXHUB, "media-worker", "--worker-id", WORKER_ID, "--metrics-port", "{port}"],
        env={
            **api.env,
            "MEDIA_MAX_CALLS": "1000",
            "MEDIA_HOST_ADDRESSES": "127.0.0.1",
            "STUN_SERVERS": "",
            "RECORDINGS_DIR": str(workdir / "voxhub"),
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        },
    )
    stock = ctx.stack.peer(
        "aiortc-stock", STOCK, env={"BENCH_RECORDINGS_DIR": str(workdir / "stock")}
    )
    try:
        _wait_registered(ctx.stack.redis.url)
        sides = [
            Side("Voxhub", api.url, worker.group(), workdir / "voxhub", ctx.stack.groups()),
            Side("aiortc stock", stock.url, stock.group(), workdir / "stock"),
        ]
        steps: list[Step] = []
        with ClientPool(size.processes, modules=COMMANDS) as pool:
            for calls in size.calls:
                for side in sides:
                    if side.collapsed:
                        continue
                    step = _step(pool, side, calls, size.seconds)
                    steps.append(step)
                    side.collapsed = (
                        step.placed < calls
                        or step.latency.p99_ms > COLLAPSED_P99_MS
                        or step.lost > step.latency.count
                    )
    finally:
        ctx.stack.stop_peer(stock)
        ctx.stack.stop_peer(worker)
        shutil.rmtree(workdir, ignore_errors=True)
    steps_table = _steps_table(steps, size)
    summary, verdict = _summary(steps)
    return Outcome(
        "media",
        [steps_table, summary],
        f"≥ {TARGET_RATIO:g}× the calls per core of aiortc's stock recorder, echo latency "
        f"under {ECHO_TARGET_MS:g} ms",
        verdict,
    )


def _wait_registered(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        wait_until(lambda: bool(client.exists(worker_key(WORKER_ID))), 30, "media worker")
    finally:
        client.close()


def _step(pool: ClientPool, side: Side, calls: int, seconds: float) -> Step:
    shares = split(calls, len(pool))
    opened = pool.call_all(
        "media_open",
        timeout=60 + 2 * calls,
        per_client=[{"count": share} for share in shares],
        url=side.url,
        concurrency=4,
        timeout_each=20,
    )
    pool.call_all("media_flowing", timeout=40, limit=20)
    window = CpuWindow([side.server, *side.others, pool.group()]).start()
    measured = pool.call_all("media_measure", timeout=seconds + 30, seconds=seconds)
    cores = window.stop()
    hung_up = pool.call_all("media_hangup", timeout=60, timeout_each=10)
    errors = [e for r in opened + hung_up for e in r["errors"]]
    recordings, recording_identical = _check_recordings(side, hung_up)
    latency = Latency.of([value for r in measured for value in r["latencies"]])
    loud = sum(r["loud"] for r in measured)
    placed = sum(r["opened"] for r in opened)
    return Step(
        side=side.name,
        calls=calls,
        placed=placed,
        latency=latency,
        lost=sum(r["lost"] for r in measured),
        echo_per_call=sum(r["echoed"] for r in measured) / max(placed, 1) / seconds,
        echo_identical=sum(r["identical"] for r in measured) / loud if loud else math.nan,
        server_cores=cores[side.server.name],
        other_cores=sum(cores[group.name] for group in side.others),
        loadgen_cores=cores["loadgen"],
        max_lag_ms=max(r["max_lag_ms"] for r in measured),
        recordings=recordings,
        recording_identical=recording_identical,
        errors=", ".join(errors[:2]) or "0",
    )


def _check_recordings(side: Side, hung_up: list[dict]) -> tuple[str, float]:
    """`decoded/calls` (Opus, 48 kHz, within 0.5 s of what was sent) and the share of loud
    recorded packets that are the caller's own bytes."""
    sent = {cid: seconds for r in hung_up for cid, seconds in r["recordings"].items()}
    good = loud = identical = 0
    for conversation_id, seconds in sent.items():
        path = side.recordings / conversation_id / "user_audio.ogg"
        try:
            check = check_recording(path)
        except (OSError, ValueError, IndexError):  # missing, empty or unreadable: not good
            continue
        good += (check.codec, check.sample_rate) == ("opus", 48_000) and (
            abs(check.seconds - seconds) < 0.5
        )
        loud += check.loud_packets
        identical += check.identical_packets
        shutil.rmtree(path.parent, ignore_errors=True)
    return f"{good}/{len(sent)}", identical / loud if loud else math.nan


def _steps_table(steps: list[Step], size: MediaSize) -> Table:
    table = Table(
        "media: echo-and-record calls, one media process each side",
        [
            "server", "calls", "placed", "echo pkts/s/call", "bursts timed", "bursts lost",
            "echo p50 ms", "echo p99 ms", "echo max ms", "media process CPU", "CPU % / call",
            "echo bytes = sent", "recordings OK", "recording bytes = sent",
            "API+Redis+PG CPU", "loadgen CPU", "loadgen max lag ms", "errors",
        ],
    )  # fmt: skip
    for s in steps:
        table.add(
            s.side, s.calls, s.placed, s.echo_per_call, s.latency.count, s.lost,
            s.latency.p50_ms, s.latency.p99_ms, s.latency.max_ms, s.server_cores,
            100 * s.cpu_per_call, _percent(s.echo_identical), s.recordings,
            _percent(s.recording_identical), s.other_cores, s.loadgen_cores, s.max_lag_ms,
            s.errors,
        )  # fmt: skip
    table.notes.extend(
        [
            f"{size.seconds:g} s measured per step, after every call echoed its first 0.5 s; "
            f"{size.processes} client process(es) of aiortc callers sending pre-encoded Opus "
            "(aiortc's encoder, 96 kbit/s stereo): silence with a 60 ms tone burst every "
            "500 ms, four frequencies in turn.",
            "echo latency: from handing a burst's first loud packet to the caller's RTP sender "
            "to the arrival (after SRTP, before the caller's jitter buffer) of the first echoed "
            "packet that decodes loud at that burst's frequency; one process, one clock. Both "
            "sides' echoes are decoded the same way. A burst not back within 1 s of the "
            "window's end is lost.",
            "echo/recording bytes = sent: loud packets byte-identical to one the caller sent "
            "(100% = passed through; 0% = re-encoded).",
            "recordings OK: files that decode with PyAV as Opus 48 kHz, within 0.5 s of the "
            "audio sent; written by Voxhub's worker without decoding, by aiortc's "
            "MediaRecorder after decode + re-encode.",
            "CPU in cores (1.00 = one core busy) over the measuring window, from /proc; "
            "API+Redis+PG: Voxhub's `serve` (2 workers), Redis and PostgreSQL, idle once the "
            "call is set up.",
        ]
    )
    return table


def _percent(value: float) -> str:
    return "—" if math.isnan(value) else f"{100 * value:.0f}%"


def _summary(steps: list[Step]) -> tuple[Table, str]:
    table = Table(
        "media: Voxhub / aiortc stock at the same number of calls",
        [
            "calls", "Voxhub CPU % / call", "stock CPU % / call", "calls per core ratio",
            "Voxhub p99 ms", "stock p99 ms",
        ],
    )  # fmt: skip
    by_side: dict[str, dict[int, Step]] = {}
    for step in steps:
        by_side.setdefault(step.side, {})[step.calls] = step
    ours, theirs = by_side.get("Voxhub", {}), by_side.get("aiortc stock", {})
    ratios: dict[int, float] = {}
    for calls, mine in ours.items():
        peer = theirs.get(calls)
        if peer is None or mine.placed < calls or peer.placed < calls:
            continue
        ratios[calls] = peer.cpu_per_call / mine.cpu_per_call if mine.cpu_per_call else math.inf
        table.add(
            calls, 100 * mine.cpu_per_call, 100 * peer.cpu_per_call, f"{ratios[calls]:.1f}×",
            mine.latency.p99_ms, peer.latency.p99_ms,
        )  # fmt: skip
    bounds = {side: _largest_within_bound(by_side.get(side, {})) for side in by_side}
    table.notes.append(
        "calls per core ratio = stock CPU per call / Voxhub CPU per call (same calls, same "
        "callers). Largest step with all calls placed and echo p99 < "
        f"{LATENCY_BOUND_MS:g} ms: "
        + "; ".join(f"{side} {calls if calls else 'none'}" for side, calls in bounds.items())
        + "."
    )
    return table, _verdict(ratios, ours)


def _largest_within_bound(steps: dict[int, Step]) -> int:
    return max((calls for calls, step in steps.items() if step.within_bound), default=0)


def _verdict(ratios: dict[int, float], ours: dict[int, Step]) -> str:
    if not ratios:
        return "missed: no step ran on both sides"
    largest = max(ratios)
    ratio = ratios[largest]
    worst_p99 = max(step.latency.p99_ms for step in ours.values())
    met = ratio >= TARGET_RATIO and worst_p99 < ECHO_TARGET_MS
    return (
        f"{'met' if met else 'missed'}: at {largest} calls Voxhub uses {ratio:.1f}× less CPU "
        f"per call than aiortc's stock path; Voxhub's worst echo p99 {worst_p99:.0f} ms"
    )
