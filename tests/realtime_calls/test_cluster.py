"""Sidebands held by real `voxhub realtime-worker` processes on Redis and PostgreSQL: a call
survives its holder's SIGKILL (another takes it over before REALTIME_REATTACH_TIMEOUT would hang
it up) and SIGTERM (handed over), with every response after a take-over charged exactly once;
a call no worker can hold is hung up with reason `reattach_failed` and costs nothing; and 50
concurrent calls over two API workers and two sideband workers leave a ledger that sums exactly."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
from collections.abc import Iterator

import pytest

from tests.accounts.client import Api
from tests.fixtures.fake_realtime import FakeRealtime
from tests.fixtures.processes import log_tail, spawn_logged, stop_group, wait_ready
from tests.fixtures.voxhub_server import VOXHUB, VoxhubServer
from tests.realtime_calls.caller import Caller, assert_settled, heard, settled, until
from tests.realtime_calls.conftest import metered_env
from tests.ws.client import WsClient

_names = itertools.count(1)


class SidebandWorkers:
    """`voxhub realtime-worker` processes by worker id, started beside one server."""

    def __init__(self, server: VoxhubServer) -> None:
        self.server = server
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> str:
        name = f"sideband-{next(_names)}"
        log = os.path.join(self.server.workdir, f"{name}.log")
        command = [VOXHUB, "realtime-worker", "--metrics-port", "0", "--worker-id", name]
        process = spawn_logged(command, self.server.env, log)
        self.processes[name] = process
        started = f"realtime worker {name} started"
        wait_ready(process, lambda: started in log_tail(log), 30, name, log)
        return name

    def signal(self, name: str, signum: int) -> None:
        process = self.processes.pop(name)
        process.send_signal(signum)
        process.wait(20)

    def stop_all(self) -> None:
        for process in self.processes.values():
            stop_group(process)
        self.processes.clear()


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest, fake: FakeRealtime) -> Iterator[Api]:
    server = VoxhubServer(
        workers=2,
        REDIS_URL=request.getfixturevalue("redis_server").url,
        DATABASE_URL=request.getfixturevalue("postgres_server").create_database(),
        # 50 offers at once queue at the fake's one answering loop.
        **metered_env(fake, OPENAI_TIMEOUT="30s", REALTIME_REATTACH_TIMEOUT="6s"),
    )
    server.start()
    yield Api(server)
    server.stop()


@pytest.fixture
def sidebands(cluster: Api) -> Iterator[SidebandWorkers]:
    workers = SidebandWorkers(cluster.server)
    yield workers
    workers.stop_all()


async def test_a_call_nobody_can_hold_is_hung_up(cluster: Api, knobs: FakeRealtime) -> None:
    user_id, headers = cluster.create_user(balance=3000)
    caller = Caller(cluster.url, headers)
    try:
        assert (await caller.call()).status_code == 201

        final = await caller.until_ended(20)
    finally:
        await caller.close()
    assert final["end_reason"] == "reattach_failed"
    assert final["openai_call_id"] in knobs.hangups
    assert final["charged"] == 0 and final["held"] == 0
    assert cluster.balance(user_id) == 3000


async def test_take_over_after_sigkill_and_hand_over_at_sigterm(
    cluster: Api, sidebands: SidebandWorkers, knobs: FakeRealtime
) -> None:
    knobs.pace, knobs.tokens_per_response = 0.2, 100
    first = {sidebands.start(), sidebands.start()}
    user_id, headers = cluster.create_user(balance=100_000)
    socket = await WsClient.connect(
        cluster.server.ws_url, headers["Authorization"].removeprefix("Bearer ")
    )
    caller = Caller(cluster.url, headers)
    try:
        assert (await caller.call()).status_code == 201

        async def held_and_charged() -> dict | None:
            state = await caller.state()
            return state if state["worker"] and state["responses"] >= 2 else None

        state = await until(held_and_charged, 15, "a sideband worker to charge the call")
        holder = state["worker"]
        assert holder in first
        fake_call = knobs.calls[state["openai_call_id"]]
        sidebands.signal(holder, signal.SIGKILL)

        async def taken_over() -> dict | None:
            state = await caller.state()
            return state if state["worker"] not in (None, holder) else None

        state = await until(taken_over, 10, "another worker to take the call over")
        assert state["state"] == "live"
        survivor = state["worker"]
        assert survivor in first - {holder}

        async def charged_after(count: int) -> bool:
            return len(knobs.sent_after(state["openai_call_id"], fake_call.attachments)) >= count

        await until(lambda: charged_after(3), 10, "responses after the take-over")

        successor = sidebands.start()
        attachments = fake_call.attachments
        sidebands.signal(survivor, signal.SIGTERM)

        async def handed_over() -> dict | None:
            state = await caller.state()
            return state if state["worker"] == successor else None

        state = await until(handed_over, 10, "the call to be handed over")
        assert state["state"] == "live"

        async def attached_once_more() -> bool:
            # The lease names the successor a moment before its sideband reaches OpenAI.
            return fake_call.attachments == attachments + 1

        await until(attached_once_more, 10, "the successor's sideband to attach")
        await until(lambda: charged_after(3), 10, "responses after the hand-over")
        final = await caller.hang_up()
    finally:
        await caller.close()
    assert final["end_reason"] == "hangup"
    final, ledger = await settled(cluster, user_id, caller)
    assert_settled(ledger, caller.call_id, final["charged"])
    charged_ids = [
        row["details"]["response_id"] for row in ledger if row["reason"] == "realtime_charge"
    ]
    after_take_over = knobs.sent_after(final["openai_call_id"], 2)
    assert after_take_over
    for sent in after_take_over:
        assert charged_ids.count(sent.response_id) == 1, sent
    assert cluster.balance(user_id) == 100_000 - final["charged"]

    # The caller's socket (on one API worker) heard every charge, from whichever process made
    # it, then the end.
    frames = await heard(socket, final["responses"])
    await socket.close()
    (end,) = [frame for frame in frames if frame["type"] == "realtime.ended"]
    assert end["payload"]["reason"] == "hangup"


async def test_fifty_concurrent_calls_sum_exactly(
    cluster: Api, sidebands: SidebandWorkers, knobs: FakeRealtime
) -> None:
    knobs.pace, knobs.turns, knobs.tokens_per_response = 0.3, 4, 250
    sidebands.start()
    sidebands.start()
    users = [cluster.create_user(balance=10_000) for _ in range(50)]
    callers = [Caller(cluster.url, headers) for _, headers in users]
    try:
        # Offers only: 100 peers streaming audio would measure the test machine, not Voxhub.
        answers = await asyncio.gather(*(caller.call(accept=False) for caller in callers))
        assert [answer.status_code for answer in answers] == [201] * 50

        async def all_charged() -> list[dict] | None:
            states = await asyncio.gather(*(caller.state() for caller in callers))
            return states if all(state["responses"] == 4 for state in states) else None

        await until(all_charged, 30, "four charged responses on every call")
        finals = await asyncio.gather(*(caller.hang_up() for caller in callers))
    finally:
        await asyncio.gather(*(caller.close() for caller in callers))
    assert sum(final["charged"] for final in finals) == 50 * 4 * 250
    for (user_id, _), caller, final in zip(users, callers, finals, strict=True):
        assert final["state"] == "ended" and final["held"] == 0
        assert final["charged"] == 4 * 250
        assert cluster.balance(user_id) == 10_000 - 4 * 250
        assert_settled(cluster.ledger(user_id), caller.call_id, final["charged"])
