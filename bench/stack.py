"""The processes a benchmark measures: real Redis, PostgreSQL, `voxhub serve` and its peers.

Redis and PostgreSQL are started once per `python -m bench` run and shared by every
benchmark in it (the test fixtures do the work); Voxhub and peer servers are started on
demand and stopped with the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.machine import REPO_ROOT
from bench.procstat import ProcessGroup
from tests.fixtures.ports import free_port, port_open
from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.processes import spawn_logged, stop_group, wait_ready
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import TEST_JWT_SECRET, VoxhubServer

# Production-like settings with the limits lifted that would otherwise be what is measured:
# benchmarks drive far more than RATE_LIMIT_PER_MINUTE from one user, on purpose.
VOXHUB_BENCH_ENV = {
    "LOG_LEVEL": "warning",
    "RATE_LIMIT_PER_MINUTE": "100000000",
    "MEDIA_OFFERS_PER_MINUTE": "100000000",
    "MAX_CONNECTIONS": "30000",
    "DATABASE_POOL_SIZE": "10",
}

__all__ = ["TEST_JWT_SECRET", "PeerServer", "Stack", "VOXHUB_BENCH_ENV"]


class PeerServer:
    """A server other than Voxhub (bare Sanic, python-socketio on uvicorn), on a free port."""

    def __init__(self, name: str, command: Sequence[str], env: dict[str, str] | None = None):
        self.name = name
        self.port = free_port()
        self.command = [part.format(port=self.port, python=sys.executable) for part in command]
        self.env = {**os.environ, **(env or {})}
        self.log_path = Path(tempfile.mkdtemp(prefix=f"voxhub-bench-{name}-")) / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> PeerServer:
        self.process = spawn_logged(self.command, self.env, self.log_path, cwd=REPO_ROOT)
        wait_ready(self.process, lambda: port_open(self.port), timeout, self.name, self.log_path)
        return self

    def group(self) -> ProcessGroup:
        return ProcessGroup(self.name, lambda: [self.process.pid] if self.process else [])

    def stop(self) -> None:
        stop_group(self.process)


class Stack:
    """Everything one run needs, started lazily and torn down in reverse order."""

    def __init__(self) -> None:
        self._redis: RedisServer | None = None
        self._postgres: PostgresServer | None = None
        self._voxhub: VoxhubServer | None = None
        self._voxhub_env: dict[str, str] = {}
        self._peers: list[PeerServer] = []

    @property
    def redis(self) -> RedisServer:
        if self._redis is None:
            self._redis = RedisServer()
            self._redis.start()
        return self._redis

    @property
    def postgres(self) -> PostgresServer:
        if self._postgres is None:
            self._postgres = PostgresServer()
            self._postgres.start()
        return self._postgres

    def voxhub(self, fresh: bool = False, **env: str) -> VoxhubServer:
        """`voxhub serve --workers 2` on the run's Redis and a fresh PostgreSQL database.

        The same server is reused while the settings match; `fresh` forces a new process
        (a memory baseline must not carry what an earlier benchmark left in the heap).
        """
        wanted = {**VOXHUB_BENCH_ENV, **env}
        if self._voxhub is not None and (fresh or wanted != self._voxhub_env):
            self._voxhub.stop()
            self._voxhub = None
        if self._voxhub is None:
            server = VoxhubServer(
                workers=2,
                REDIS_URL=self.redis.url,
                DATABASE_URL=self.postgres.create_database(),
                **wanted,
            )
            server.start()
            self._voxhub, self._voxhub_env = server, wanted
        return self._voxhub

    def peer(self, name: str, command: Sequence[str], env: dict[str, str] | None = None):
        server = PeerServer(name, command, env).start()
        self._peers.append(server)
        return server

    def stop_peer(self, server: PeerServer) -> None:
        server.stop()
        if server in self._peers:
            self._peers.remove(server)

    def groups(self) -> list[ProcessGroup]:
        """The server side of a measurement: the app's processes, Redis and PostgreSQL."""

        def voxhub_roots() -> list[int]:
            return [self._voxhub.process.pid] if self._voxhub and self._voxhub.process else []

        def redis_roots() -> list[int]:
            return [self._redis.process.pid] if self._redis and self._redis.process else []

        def postgres_roots() -> list[int]:
            if self._postgres is None:
                return []
            pid_file = Path(self._postgres.data) / "postmaster.pid"
            return [int(pid_file.read_text().split()[0])] if pid_file.exists() else []

        return [
            ProcessGroup("voxhub", voxhub_roots),
            ProcessGroup("redis", redis_roots),
            ProcessGroup("postgres", postgres_roots),
        ]

    def close(self) -> None:
        for server in reversed(self._peers):
            server.stop()
        if self._voxhub is not None:
            self._voxhub.stop()
        if self._postgres is not None:
            self._postgres.close()
        if self._redis is not None:
            self._redis.close()
