"""CPU and memory of process trees, read from /proc.

Every result carries the CPU used by the server processes and by the load generator, in cores
(CPU seconds per wall second), because on a 2-core machine the load generator competes with
the server it measures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants that are alive now."""
    pending, seen = [pid], []
    while pending:
        current = pending.pop()
        if current in seen or not Path(f"/proc/{current}").exists():
            continue
        seen.append(current)
        pending.extend(children(current))
    return seen


def cpu_seconds(pid: int) -> float:
    """User + system time; 0 for a process that is already gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except OSError:
        return 0


@dataclass(slots=True)
class ProcessGroup:
    """A named set of process trees (the app, Redis, the load generator...).

    `roots` is a callable so that processes started after the group was declared (client
    processes, a restarted server) are still counted.
    """

    name: str
    roots: Callable[[], Iterable[int]]
    # False for the bench process itself: its descendants are the servers it measures.
    descendants: bool = True

    def pids(self) -> list[int]:
        found: list[int] = []
        for root in self.roots():
            members = tree(root) if self.descendants else [root]
            found.extend(pid for pid in members if pid not in found)
        return found

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def rss_bytes(self) -> int:
        return sum(rss_bytes(pid) for pid in self.pids())


@dataclass(slots=True)
class CpuWindow:
    """CPU used by each group between `start()` and `stop()`, in cores.

    Processes that exit inside the window lose their CPU from /proc; callers add such time
    (e.g. from `os.wait4`) through `extra`.
    """

    groups: list[ProcessGroup]
    started: float = 0.0
    before: dict[str, float] = field(default_factory=dict)
    cores: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0

    def start(self) -> CpuWindow:
        self.before = {group.name: group.cpu_seconds() for group in self.groups}
        self.started = time.monotonic()
        return self

    def stop(self, extra: dict[str, float] | None = None) -> dict[str, float]:
        self.wall = max(time.monotonic() - self.started, 1e-9)
        extra = extra or {}
        for group in self.groups:
            used = group.cpu_seconds() - self.before[group.name] + extra.get(group.name, 0.0)
            self.cores[group.name] = max(used, 0.0) / self.wall
        for name, seconds in extra.items():
            if name not in self.cores:
                self.cores[name] = seconds / self.wall
        return self.cores
