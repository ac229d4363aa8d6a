"""`voxhub media-worker` / `voxhub ai-worker` as real processes, as compose and k8s run them.

Each gets its own METRICS_PORT and PROMETHEUS_MULTIPROC_DIR (as each container has), and is
live once its metrics endpoint answers, which is also what the deployments probe.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

from tests.fixtures.ports import free_port
from tests.fixtures.processes import log_tail, scratch_dir, spawn_logged, stop_group, wait_ready
from tests.fixtures.voxhub_server import VOXHUB, base_env


class WorkerProcess:
    def __init__(self, command: str, **env: str) -> None:
        self.command = command
        self.metrics_port = free_port()
        self.workdir = scratch_dir(f"voxhub-{command}-")
        self.env = base_env(
            METRICS_PORT=str(self.metrics_port),
            PROMETHEUS_MULTIPROC_DIR=os.path.join(self.workdir, "metrics"),
            **env,
        )
        self.log_path = Path(self.workdir) / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def metrics_url(self) -> str:
        host = self.env.get("METRICS_HOST", "127.0.0.1")
        return f"http://{host}:{self.metrics_port}/metrics"

    def start(self, timeout: float = 60) -> None:
        self.process = spawn_logged([VOXHUB, self.command], self.env, self.log_path)
        wait_ready(
            self.process,
            lambda: bool(self.metrics()),
            timeout,
            f"voxhub {self.command}",
            self.log_path,
        )

    def metrics(self) -> str:
        try:
            with urllib.request.urlopen(self.metrics_url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            return ""

    def log(self) -> str:
        return log_tail(self.log_path)

    def stop(self) -> None:
        stop_group(self.process)
