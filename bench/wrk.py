"""wrk, the HTTP load generator, with its results read as JSON and its own CPU measured.

wrk's C event loop costs a fraction of what a Python client would, which matters on a 2-core
machine where the load generator shares the CPU with the server it measures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

# wrk calls `done` once at the end; latency percentiles are in microseconds.
_REPORT_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50.0), latency:percentile(99.0), latency.max))
end
"""


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    non_2xx: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk not found: run `make bench` (installs it) or apt-get install wrk")
    return found


def _script_path() -> str:
    path = Path(tempfile.gettempdir()) / "voxhub-bench-wrk-report.lua"
    if not path.exists() or path.read_text() != _REPORT_SCRIPT:
        path.write_text(_REPORT_SCRIPT)
    return str(path)


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("benchmarks only send traffic to 127.0.0.1")
    command = [
        wrk_binary(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        _script_path(),
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    returncode, output, cpu = _run_measured(command, timeout=seconds + 30)
    if returncode != 0:
        raise RuntimeError(f"wrk failed ({returncode}): {output.strip()}")
    line = next((ln for ln in output.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no report:\n{output}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["connect_errors"]
        + data["read_errors"]
        + data["write_errors"]
        + data["timeouts"],
        non_2xx=data["status_errors"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        cpu_seconds=cpu,
    )


def _run_measured(command: list[str], timeout: float) -> tuple[int, str, float]:
    """Run to completion; returns exit code, output and the child's own CPU seconds (wait4)."""
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        return process.returncode, output.read(), usage.ru_utime + usage.ru_stime
