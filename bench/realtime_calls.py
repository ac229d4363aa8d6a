"""`realtime-calls`: what metering costs: sideband events one worker handles per second, and
the CPU per live metered call.

One `voxhub realtime-worker` (the process measured) holds every call's sideband; the API is
`voxhub serve --workers 2` on the run's Redis and PostgreSQL; the fake OpenAI Realtime server
(tests/fixtures/fake_realtime.py) runs in this process and streams each call's events. Calls
carry no audio here: the audio goes between the browser and OpenAI, never through Voxhub, so
the sideband is all a call costs Voxhub while it lives.

- "live calls": a turn every TURN_SECONDS per call (the user's transcription, DELTAS transcript
  deltas, the transcript, `response.done`), the pace of a conversation; the worker's CPU over
  the window divided by the calls is the CPU per live call.
- "saturation": turns as fast as the fake sends them; events handled per second is the worker's
  ceiling (every `response.done` is a PostgreSQL transaction, the transcripts two inserts).
Events handled are counted from the responses charged (each turn's events end with one), not
from what the fake sent. Every step ends with the calls hung up and checks that each call's
charge is exactly its responses' tokens.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx

from bench.context import RunContext
from bench.procstat import CpuWindow, ProcessGroup
from bench.report import Outcome, Table
from tests.accounts.client import Api
from tests.fixtures.fake_realtime import FakeRealtime
from tests.fixtures.processes import log_tail, spawn_logged, stop_group, wait_ready
from tests.fixtures.voxhub_server import VOXHUB
from tests.media.peers import ClientPeer, SineTrack

API_KEY = "sk-bench-realtime"
TURN_SECONDS = 2.0
DELTAS = 20
TOKENS = 300


async def _place(api: Api, users: list[tuple[int, dict[str, str]]]) -> list[int]:
    """One call per user, offers only (no media is exchanged)."""

    async def one(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
        peer = ClientPeer(SineTrack(440.0, 1))
        try:
            offer = await peer.offer()
            response = await client.post(
                api.url + "/api/realtime/calls",
                content=offer,
                headers={**headers, "Content-Type": "application/sdp"},
            )
        finally:
            await peer.close()
        if response.status_code != 201:
            raise RuntimeError(f"call refused: {response.status_code} {response.text}")
        return int(response.headers["X-Call-Id"])

    async with httpx.AsyncClient(timeout=120) as client:
        return list(await asyncio.gather(*(one(client, headers) for _, headers in users)))


async def _responses(api: Api, calls: list[int]) -> int:
    """Responses charged so far over `calls`: what the worker has handled, not what was sent."""
    async with httpx.AsyncClient(timeout=60, headers=api.service) as client:
        answers = await asyncio.gather(
            *(client.get(f"{api.url}/api/realtime/calls/{call}") for call in calls)
        )
    return sum(answer.json()["data"]["responses"] for answer in answers)


async def _hang_up(api: Api, calls: list[int]) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=60, headers=api.service) as client:
        answers = await asyncio.gather(
            *(client.delete(f"{api.url}/api/realtime/calls/{call}") for call in calls)
        )
    return [answer.json()["data"] for answer in answers]


def _wait_attached(fake: FakeRealtime, count: int, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while sum(1 for call in fake.calls.values() if call.attachments and not call.ended) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} sidebands attached")
        time.sleep(0.1)


def _step(
    api: Api, fake: FakeRealtime, groups: list[ProcessGroup], calls: int, window: float
) -> dict[str, Any]:
    users = [api.create_user(balance=10**9) for _ in range(calls)]
    call_ids = asyncio.run(_place(api, users))
    _wait_attached(fake, calls)
    time.sleep(1.0)  # past the first turns' burst
    first = asyncio.run(_responses(api, call_ids))
    cpu = CpuWindow(groups).start()
    time.sleep(window)
    cores = cpu.stop()
    # Each turn is its response.done plus the two transcripts and the deltas.
    handled = (asyncio.run(_responses(api, call_ids)) - first) * (DELTAS + 3) / cpu.wall
    pace, fake.pace = fake.pace, TURN_SECONDS  # a saturated fake would answer hang-ups late
    finals = asyncio.run(_hang_up(api, call_ids))
    fake.calls.clear()
    fake.pace = pace
    return {
        "calls": calls,
        "events_per_s": handled,
        "worker_cores": cores["realtime-worker"],
        "api_cores": cores["voxhub"],
        "bench_cores": cores["bench (fake OpenAI)"],
        "charged_exactly": all(final["charged"] == final["responses"] * TOKENS for final in finals),
    }


def run(ctx: RunContext) -> Outcome:
    live_steps = ctx.pick({"smoke": [2], "moderate": [10, 50], "full": [10, 50, 100]})
    saturation_calls = ctx.pick({"smoke": 2, "moderate": 10, "full": 20})
    window = ctx.pick({"smoke": 2.0, "moderate": 10.0, "full": 20.0})
    with FakeRealtime(API_KEY) as fake:
        fake.tokens_per_response, fake.deltas = TOKENS, DELTAS
        server = ctx.stack.voxhub(
            OPENAI_API_KEY=API_KEY,
            OPENAI_BASE_URL=fake.url,
            OPENAI_TIMEOUT="120s",
            REALTIME_HOLD_TOKENS="1000000",
            REALTIME_LOW_WATER_TOKENS="1000",
            REALTIME_CALLS_PER_MINUTE="1000000",
        )
        log = os.path.join(server.workdir, "realtime-worker.log")
        command = [VOXHUB, "realtime-worker", "--metrics-port", "0", "--worker-id", "bench"]
        # Info level: its "started" line is the readiness signal (the server logs warnings only).
        worker = spawn_logged(command, {**server.env, "LOG_LEVEL": "info"}, log)
        try:
            started = "realtime worker bench started"
            wait_ready(worker, lambda: started in log_tail(log), 60, "realtime-worker", log)
            groups = [
                ProcessGroup("realtime-worker", lambda: [worker.pid]),
                *[group for group in ctx.stack.groups() if group.name == "voxhub"],
                ProcessGroup("bench (fake OpenAI)", lambda: [os.getpid()], descendants=False),
            ]
            api = Api(server)
            fake.pace = TURN_SECONDS
            live = [_step(api, fake, groups, calls, window) for calls in live_steps]
            fake.pace = 0.005
            saturated = _step(api, fake, groups, saturation_calls, window)
        finally:
            stop_group(worker)
    return _outcome(live, saturated)


def _outcome(live: list[dict[str, Any]], saturated: dict[str, Any]) -> Outcome:
    table = Table(
        f"realtime-calls: live calls (a turn every {TURN_SECONDS:.0f} s, {DELTAS} deltas), "
        "one sideband worker",
        [
            "calls",
            "sideband events/s",
            "worker cores",
            "worker CPU per call (% of a core)",
            "API cores",
            "fake OpenAI cores",
            "every response charged once",
        ],
    )
    for step in live:
        table.add(
            step["calls"],
            step["events_per_s"],
            step["worker_cores"],
            100 * step["worker_cores"] / step["calls"],
            step["api_cores"],
            step["bench_cores"],
            step["charged_exactly"],
        )
    ceiling = Table(
        "realtime-calls: saturation (turns as fast as the fake sends them), one sideband worker",
        ["calls", "sideband events/s", "worker cores", "fake OpenAI cores", "charged once"],
    )
    ceiling.add(
        saturated["calls"],
        saturated["events_per_s"],
        saturated["worker_cores"],
        saturated["bench_cores"],
        saturated["charged_exactly"],
    )
    ceiling.notes.append(
        "The fake OpenAI server shares the machine: at saturation it, not only the worker, "
        "limits the rate (its cores are in the table)."
    )
    per_call = max(100 * step["worker_cores"] / step["calls"] for step in live)
    exact = all(step["charged_exactly"] for step in [*live, saturated])
    return Outcome(
        "realtime-calls",
        [table, ceiling],
        "report sideband events handled per second per worker and the CPU per live call",
        f"{saturated['events_per_s']:,.0f} sideband events/s on one worker at saturation; "
        f"at most {per_call:.2f}% of a core per live call; "
        f"every response charged exactly once: {'yes' if exact else 'NO'}",
    )
