"""The benchmark's side of the load generator: start client processes, send them commands."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.connection import Connection as Pipe
from typing import Any

from bench.procstat import ProcessGroup
from bench.wsload.agent import COMMAND_MODULES, agent_main


class AgentError(RuntimeError):
    pass


class ClientPool:
    """`processes` client processes; every call is bounded by its `timeout`.

    `modules` name the command modules the processes serve (the media callers' are heavy:
    WebSocket benchmarks do not load them).
    """

    def __init__(self, processes: int, modules: tuple[str, ...] = COMMAND_MODULES) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Pipe] = []
        self._processes: list[Any] = []
        for index in range(processes):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=agent_main,
                args=(theirs, index, modules),
                name=f"bench-client-{index}",
                daemon=True,
            )
            process.start()
            theirs.close()
            self._pipes.append(ours)
            self._processes.append(process)

    def __enter__(self) -> ClientPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._pipes)

    def pids(self) -> list[int]:
        return [process.pid for process in self._processes]

    def group(self) -> ProcessGroup:
        """The load generator: client processes plus this (coordinating) process alone."""
        return ProcessGroup("loadgen", lambda: [os.getpid(), *self.pids()], descendants=False)

    def _receive(self, index: int, name: str, timeout: float) -> Any:
        pipe = self._pipes[index]
        if not pipe.poll(timeout):
            raise AgentError(f"client {index}: {name} did not answer within {timeout:.0f} s")
        verdict, result = pipe.recv()
        if verdict != "ok":
            raise AgentError(f"client {index}: {name} failed:\n{result}")
        return result

    def call(self, index: int, name: str, timeout: float, **kwargs: Any) -> Any:
        self._pipes[index].send((name, kwargs))
        return self._receive(index, name, timeout)

    def call_all(
        self,
        name: str,
        timeout: float,
        per_client: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """Run `name` in every client at once; `per_client[i]` adds client i's own arguments."""
        for index, pipe in enumerate(self._pipes):
            pipe.send((name, {**kwargs, **(per_client[index] if per_client else {})}))
        return [self._receive(index, name, timeout) for index in range(len(self._pipes))]

    def close(self) -> None:
        for index, pipe in enumerate(self._pipes):
            try:
                pipe.send(("exit", {}))
                self._receive(index, "exit", 30)
            except (OSError, EOFError, AgentError):
                pass
        for process in self._processes:
            process.join(5)
            if process.is_alive():
                process.terminate()
                process.join(5)
        self._pipes.clear()
        self._processes.clear()


def split(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` as evenly as integers allow."""
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]
