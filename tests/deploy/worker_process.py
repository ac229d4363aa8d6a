"""`voxhub media-worker` / `voxhub ai-worker` as real processes, as compose and k8s run them.

Each gets its own METRICS_PORT and PROMETHEUS_MULTIPROC_DIR (as each container has), and is
live once its metrics endpoint answers, which is also what the deployments probe.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from tests.fixtures.ports import free_port, wait_until
from tests.fixtures.voxhub_server import VOXHUB, base_env


class WorkerProcess:
    def __init__(self, command: str, **env: str) -> None:
        self.command = command
        self.metrics_port = free_port()
        self.workdir = tempfile.mkdtemp(prefix=f"voxhub-{command}-")
        self.env = base_env(
            METRICS_PORT=str(self.metrics_port),
            PROMETHEUS_MULTIPROC_DIR=os.path.join(self.workdir, "metrics"),
            **env,
        )
        self.log_path = Path(self.workdir) / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def start(self, timeout: float = 60) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [VOXHUB, self.command],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until(self._live, timeout, f"voxhub {self.command}")
        except (TimeoutError, RuntimeError):
            self.stop()
            raise RuntimeError(f"voxhub {self.command} did not start:\n{self.log()}") from None

    def _live(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"voxhub {self.command} exited")
        return bool(self.metrics())

    def metrics(self) -> str:
        try:
            with urllib.request.urlopen(self.metrics_url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            return ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
