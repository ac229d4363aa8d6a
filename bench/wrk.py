"""wrk, the HTTP load generator, with its results read as JSON and its own CPU measured.

wrk's C event loop costs a fraction of what a Python client would, which matters on a 2-core
machine where the load generator shares the CPU with the server it measures.
"""

from __future__ import annotations

import hashlib
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


# Each request carries the next of `values` in header `name` (each wrk thread keeps its own
# count), so one run can speak for many users.
_CYCLE_SCRIPT = """
local cycle_name = %s
local cycle_values = {%s}
local cycle_next = 0
request = function()
  cycle_next = cycle_next %% #cycle_values + 1
  wrk.headers[cycle_name] = cycle_values[cycle_next]
  return wrk.format()
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII text is a valid Lua string literal


def _script_path(cycle: tuple[str, list[str]] | None) -> str:
    script = _REPORT_SCRIPT
    if cycle is not None:
        name, values = cycle
        if not values or not all(value.isascii() for value in [name, *values]):
            raise ValueError("a header cycle needs ASCII values")
        listed = ", ".join(_lua_string(value) for value in values)
        script = _CYCLE_SCRIPT % (_lua_string(name), listed) + script
    digest = hashlib.sha256(script.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"voxhub-bench-wrk-{digest}.lua"
    if not path.exists():
        path.write_text(script)
    return str(path)


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
    header_cycle: tuple[str, list[str]] | None = None,
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
        _script_path(header_cycle),
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
