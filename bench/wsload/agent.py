"""A load-generator process: an event loop of sockets that runs one command at a time.

Commands come from the benchmark over a pipe as `(name, kwargs)` and are answered with
`("ok", result)` or `("error", traceback)`. Sockets keep answering keep-alives between and
during commands, as idle clients of a real service would.
"""

from __future__ import annotations

import asyncio
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Any

from bench.wsload.conn import Conn
from bench.wsload.dialects import DIALECTS

Command = Callable[..., Awaitable[Any]]
COMMANDS: dict[str, Command] = {}

# Modules whose `@command`s a process serves; imported in the process, not by the benchmark.
COMMAND_MODULES = (
    "bench.wsload.relay_cmds",
    "bench.wsload.fanout_cmds",
    "bench.wsload.match_cmds",
    "bench.wsload.storm_cmds",
)


def command(name: str) -> Callable[[Command], Command]:
    def register(func: Command) -> Command:
        COMMANDS[name] = func
        return func

    return register


@dataclass(slots=True)
class AgentState:
    index: int
    conns: list[Conn] = field(default_factory=list)
    scenario: dict[str, Any] = field(default_factory=dict)

    def open_conns(self) -> list[Conn]:
        return [conn for conn in self.conns if conn.open]


@command("open")
async def open_conns(
    state: AgentState, url: str, dialect: str, count: int, concurrency: int, timeout_each: float
) -> dict[str, Any]:
    """Open `count` more sockets, at most `concurrency` handshakes in flight."""
    speaker = DIALECTS[dialect]
    gate = asyncio.Semaphore(concurrency)
    errors: Counter[str] = Counter()

    async def one() -> None:
        async with gate:
            try:
                state.conns.append(await Conn.open_to(url, speaker, timeout_each))
            except Exception as exc:  # counted and reported: refusals are a result too
                errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

    before = len(state.conns)
    await asyncio.gather(*(one() for _ in range(count)))
    opened = state.conns[before:]
    return {
        "opened": len(opened),
        "failed": sum(errors.values()),
        "errors": dict(errors.most_common(3)),
        "workers": dict(Counter(conn.worker for conn in opened)),
    }


@command("status")
async def status(state: AgentState) -> dict[str, Any]:
    live = state.open_conns()
    return {
        "open": len(live),
        "closed": len(state.conns) - len(live),
        "pongs": sum(conn.pongs for conn in state.conns),
        "workers": dict(Counter(conn.worker for conn in live)),
    }


@command("close_all")
async def close_all(state: AgentState) -> int:
    conns, state.conns = state.conns, []
    await asyncio.gather(*(conn.close() for conn in conns))
    return len(conns)


async def _serve(pipe: Pipe, index: int, modules: tuple[str, ...]) -> None:
    import importlib

    for module in modules:
        importlib.import_module(module)
    state = AgentState(index)
    while True:
        name, kwargs = await asyncio.to_thread(pipe.recv)
        if name == "exit":
            await close_all(state)
            pipe.send(("ok", None))
            return
        try:
            pipe.send(("ok", await COMMANDS[name](state, **kwargs)))
        except Exception:
            pipe.send(("error", traceback.format_exc()))


def agent_main(pipe: Pipe, index: int, modules: tuple[str, ...] = COMMAND_MODULES) -> None:
    import uvloop

    uvloop.run(_serve(pipe, index, modules))
