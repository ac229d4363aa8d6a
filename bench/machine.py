"""What a result was measured on: without the machine and commit a number means nothing."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class MachineFacts:
    date: str
    commit: str
    cores: int
    memory_gib: float
    load_average: str
    python: str

    def line(self) -> str:
        return (
            f"{self.date} · commit `{self.commit}` · {self.cores} cores · "
            f"{self.memory_gib:.1f} GiB RAM · load average at start {self.load_average} · "
            f"Python {self.python}"
        )


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except OSError:
        return "unknown"
    commit = done.stdout.strip() or "unknown"
    # Benchmarks run the working tree: say so when the measured code is not all committed.
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "app", "workers"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
    return f"{commit} + uncommitted changes in app/ or workers/" if changed else commit


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / (1024 * 1024)
    return 0.0


def machine_facts() -> MachineFacts:
    """The load average is recorded because other work on a shared machine skews every number."""
    return MachineFacts(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        commit=_commit(),
        cores=os.cpu_count() or 1,
        memory_gib=_memory_gib(),
        load_average=" ".join(Path("/proc/loadavg").read_text().split()[:3]),
        python=platform.python_version(),
    )
