"""Media service fixtures: the API (`voxhub serve` with app.media) and media worker processes.

Everything is real and on 127.0.0.1: redis-server and PostgreSQL from the session fixtures,
the API server as its own process, and each media worker as its own process
(`voxhub media-worker`), so tests can SIGKILL and
SIGTERM them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from app.media.registry import LIVE_KEY
from tests.fixtures.ports import free_port
from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.processes import scratch_dir, spawn_logged, stop_group, wait_ready
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VOXHUB, VoxhubServer

ROOT = Path(__file__).resolve().parents[2]

MEDIA_ENV = {
    "MEDIA_HOST_ADDRESSES": "127.0.0.1",
    "MEDIA_MAX_CALLS": "2",
    "MEDIA_ANSWER_TIMEOUT": "3s",
    "MEDIA_HEARTBEAT_TTL": "2s",
    "MEDIA_INACTIVITY_TIMEOUT": "5s",
    "STUN_SERVERS": "",
    # Every media test places its calls from 127.0.0.1 (tests/media/test_media_limits.py
    # checks the limit on a server of its own).
    "MEDIA_OFFERS_PER_MINUTE": "100000",
}


class MediaApi(VoxhubServer):
    """`voxhub serve` with helpers for the media tests."""

    @property
    def recordings_dir(self) -> Path:
        return Path(self.env["RECORDINGS_DIR"])

    def metrics(self) -> str:
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as response:
            return response.read().decode()


class MediaWorkerProcess:
    """One `voxhub media-worker` process."""

    def __init__(self, env: dict[str, str], workdir: str, metrics_port: int | None = None) -> None:
        self.worker_id = f"test-{uuid.uuid4().hex[:8]}"
        self.metrics_port = metrics_port or free_port()
        self.env = dict(env)
        self.log_path = os.path.join(workdir, f"{self.worker_id}.log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, redis_client: redis.Redis, timeout: float = 30) -> None:
        command = [VOXHUB, "media-worker", "--worker-id", self.worker_id]
        command += ["--metrics-port", str(self.metrics_port)]
        self.process = spawn_logged(command, self.env, self.log_path, cwd=ROOT)
        wait_ready(
            self.process,
            lambda: redis_client.zscore(LIVE_KEY, self.worker_id) is not None,
            timeout,
            f"media worker {self.worker_id}",
            self.log_path,
        )

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()

    def signal(self, signum: int) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        return self.process.wait(20)

    def stop(self) -> None:
        stop_group(self.process)


@pytest.fixture(scope="module")
def media_api(redis_server: RedisServer, postgres_server: PostgresServer) -> Iterator[MediaApi]:
    """The API with two Sanic workers on real Redis and PostgreSQL; no media worker inside."""
    server = MediaApi(
        workers=2,
        REDIS_URL=redis_server.url,
        DATABASE_URL=postgres_server.create_database(),
        **MEDIA_ENV,
    )
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


class WorkerPool:
    def __init__(self, api: MediaApi, redis_client: redis.Redis) -> None:
        self.api = api
        self.redis = redis_client
        self.workdir = scratch_dir("voxhub-media-workers-")
        self.workers: list[MediaWorkerProcess] = []

    def start(self, metrics_port: int | None = None, **env: str) -> MediaWorkerProcess:
        metrics_dir = os.path.join(self.workdir, f"metrics-{len(self.workers)}")
        worker = MediaWorkerProcess(
            {**self.api.env, "PROMETHEUS_MULTIPROC_DIR": metrics_dir, **env},
            self.workdir,
            metrics_port,
        )
        worker.start(self.redis)
        self.workers.append(worker)
        return worker

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        # leave no heartbeat or queued offer behind for the next test
        for key in self.redis.scan_iter(match="voxhub:media:*"):
            self.redis.delete(key)
        shutil.rmtree(self.workdir, ignore_errors=True)


@pytest.fixture
def media_workers(media_api: MediaApi, redis_client: redis.Redis) -> Iterator[WorkerPool]:
    pool = WorkerPool(media_api, redis_client)
    yield pool
    pool.close()
