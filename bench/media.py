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
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from app.media.registry import LIVE_KEY
from bench.context import RunContext
from bench.mediaload.pattern import FRAME_SECONDS
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
KEPT_UP_ECHO = 0.95
"""A step counts only if at least this share of the packets sent came back."""
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
    "moderate": MediaSize(calls=(1, 4, 8, 16, 32, 64), seconds=8.0, processes=2),
    "full": MediaSize(calls=(1, 4, 8, 16, 32, 64, 96, 128), seconds=10.0, processes=2),
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
    idle_cores: float = 0.0
    """The media process with no call: heartbeats, timers, the event loop itself."""


@dataclass(slots=True)
class Step:
    side: str
    idle_cores: float
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
    def above_idle_per_call(self) -> float:
        return max(self.server_cores - self.idle_cores, 0.0) / self.calls

    @property
    def kept_up(self) -> bool:
        """Every call placed, echoed and recorded in full: the CPU it used did all the work."""
        return (
            self.placed == self.calls
            and self.lost == 0
            and self.echo_per_call >= KEPT_UP_ECHO / FRAME_SECONDS
            and self.recordings == f"{self.calls}/{self.calls}"
        )

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
        for side in sides:
            side.idle_cores = _idle_cores(side, size.seconds / 2)
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
    steps_table = _steps_table(steps, size, sides)
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
        wait_until(lambda: client.zscore(LIVE_KEY, WORKER_ID) is not None, 30, "media worker")
    finally:
        client.close()


def _idle_cores(side: Side, seconds: float) -> float:
    window = CpuWindow([side.server]).start()
    time.sleep(seconds)
    return window.stop()[side.server.name]


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
        idle_cores=side.idle_cores,
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


def _steps_table(steps: list[Step], size: MediaSize, sides: list[Side]) -> Table:
    table = Table(
        "media: echo-and-record calls, one media process each side",
        [
            "server", "calls", "placed", "echo pkts/s/call", "bursts timed", "bursts lost",
            "echo p50 ms", "echo p99 ms", "echo max ms", "media process CPU", "CPU % / call",
            "above idle % / call", "kept up", "echo bytes = sent", "recordings OK",
            "recording bytes = sent", "API+Redis+PG CPU", "loadgen CPU", "loadgen max lag ms",
            "errors",
        ],
    )  # fmt: skip
    for s in steps:
        table.add(
            s.side, s.calls, s.placed, s.echo_per_call, s.latency.count, s.lost,
            s.latency.p50_ms, s.latency.p99_ms, s.latency.max_ms, s.server_cores,
            100 * s.cpu_per_call, 100 * s.above_idle_per_call, s.kept_up,
            _percent(s.echo_identical), s.recordings, _percent(s.recording_identical),
            s.other_cores, s.loadgen_cores, s.max_lag_ms, s.errors,
        )  # fmt: skip
    idle = ", ".join(f"{side.name} {side.idle_cores:.3f}" for side in sides)
    table.notes.extend(
        [
            f"{size.seconds:g} s measured per step, after every call echoed its first 0.5 s; "
            f"{size.processes} client process(es) of aiortc callers sending pre-encoded Opus "
            "(aiortc's encoder, 96 kbit/s stereo): silence with a 60 ms tone burst every "
            "500 ms, four frequencies in turn. Each side's sweep stops after a step with p99 "
            f"over {COLLAPSED_P99_MS:,.0f} ms, a refused call or more bursts lost than timed.",
            "echo latency: from handing a burst's first loud packet to the caller's RTP sender "
            "to the arrival (after SRTP, before the caller's jitter buffer) of the first echoed "
            "packet that decodes loud at that burst's frequency; one process, one clock. Both "
            "sides' echoes are decoded the same way. A burst not back within 1 s of the "
            "window's end is lost. aiortc's stock receiver holds 4 packets (80 ms) in its "
            "jitter buffer before decoding: the stock echo cannot be faster than that.",
            "echo/recording bytes = sent: loud packets byte-identical to one the caller sent "
            "(100% = passed through; 0% = re-encoded).",
            "recordings OK: files that decode with PyAV as Opus 48 kHz, within 0.5 s of the "
            "audio sent; written by Voxhub's worker without decoding, by aiortc's "
            "MediaRecorder after decode + re-encode.",
            "kept up: all calls placed, ≥ 95% of packets echoed, no burst lost, every "
            "recording OK; CPU per call is comparable only where a side kept up.",
            "CPU in cores (1.00 = one core busy) over the measuring window, from /proc; "
            f"idle media process, no call: {idle}; above idle = (CPU - idle) / calls. "
            "API+Redis+PG: Voxhub's `serve` (2 workers), Redis and PostgreSQL, idle once the "
            "calls are set up. Each side is one Python process: its event loop (and GIL) "
            "caps it near one core.",
        ]
    )
    return table


def _percent(value: float) -> str:
    return "—" if math.isnan(value) else f"{100 * value:.0f}%"


def _summary(steps: list[Step]) -> tuple[Table, str]:
    table = Table(
        "media: Voxhub / aiortc stock at the same number of calls",
        [
            "calls", "Voxhub CPU % / call", "stock CPU % / call", "ratio",
            "Voxhub above idle % / call", "stock above idle % / call", "ratio above idle",
            "Voxhub p99 ms", "stock p99 ms", "both kept up",
        ],
    )  # fmt: skip
    by_side: dict[str, dict[int, Step]] = {}
    for step in steps:
        by_side.setdefault(step.side, {})[step.calls] = step
    ours, theirs = by_side.get("Voxhub", {}), by_side.get("aiortc stock", {})
    ratios: dict[int, float] = {}
    for calls, mine in ours.items():
        peer = theirs.get(calls)
        if peer is None:
            continue
        both = mine.kept_up and peer.kept_up
        ratio = _ratio(peer.cpu_per_call, mine.cpu_per_call)
        if both:
            ratios[calls] = ratio
        table.add(
            calls, 100 * mine.cpu_per_call, 100 * peer.cpu_per_call, f"{ratio:.1f}×",
            100 * mine.above_idle_per_call, 100 * peer.above_idle_per_call,
            f"{_ratio(peer.above_idle_per_call, mine.above_idle_per_call):.1f}×",
            mine.latency.p99_ms, peer.latency.p99_ms, both,
        )  # fmt: skip
    capacity = {side: _capacity(by_side[side]) for side in by_side}
    table.notes.append(
        "ratio = stock CPU per call / Voxhub CPU per call at the same calls and callers "
        "(the calls-per-core ratio); it means something only where both kept up."
    )
    table.notes.append(
        "largest step each side kept up, as calls per core of its media process: "
        + "; ".join(f"{side}: {c}" for side, c in capacity.items())
        + f". Largest step with echo p99 < {LATENCY_BOUND_MS:g} ms: "
        + "; ".join(f"{side} {_largest_within_bound(by_side[side]) or 'none'}" for side in by_side)
        + "."
    )
    return table, _verdict(ratios, ours)


def _ratio(theirs: float, ours: float) -> float:
    return theirs / ours if ours else math.inf


def _capacity(steps: dict[int, Step]) -> str:
    kept = [step for step in steps.values() if step.kept_up]
    if not kept:
        return "no step"
    best = max(kept, key=lambda step: step.calls)
    per_core = best.calls / best.server_cores if best.server_cores else math.inf
    return f"{best.calls} calls on {best.server_cores:.2f} cores = {per_core:.0f} calls/core"


def _largest_within_bound(steps: dict[int, Step]) -> int:
    return max((calls for calls, step in steps.items() if step.within_bound), default=0)


def _verdict(ratios: dict[int, float], ours: dict[int, Step]) -> str:
    """The ratio where both sides did all the work, with Voxhub's latency at that step; the
    steps beyond it are named with the callers' own lag, which shares the machine."""
    if not ratios:
        return "missed: no step where both sides kept up"
    largest = max(ratios)
    ratio, at = ratios[largest], ours[largest]
    met = ratio >= TARGET_RATIO and at.latency.p99_ms < ECHO_TARGET_MS
    under = [c for c, step in ours.items() if step.latency.p99_ms < ECHO_TARGET_MS]
    over = [step for step in ours.values() if step.latency.p99_ms >= ECHO_TARGET_MS]
    beyond = "".join(
        f"; at {step.calls} calls p99 {step.latency.p99_ms:.0f} ms with the callers "
        f"{step.max_lag_ms:.0f} ms behind their own schedule"
        for step in over
    )
    return (
        f"{'met' if met else 'missed'}: at {largest} calls (the largest step both kept up) "
        f"Voxhub uses {ratio:.1f}× less CPU per call than aiortc's stock path, echo p99 "
        f"{at.latency.p99_ms:.0f} ms; Voxhub's echo p99 stays under {ECHO_TARGET_MS:g} ms up "
        f"to {max(under, default=0)} calls{beyond}"
    )
