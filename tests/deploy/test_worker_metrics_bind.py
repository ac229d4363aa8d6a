"""A media worker's /metrics listens where METRICS_HOST says, loopback by default, never on
every interface because HOST (the API's) is 0.0.0.0 (issue 18, item 8). On the host network
0.0.0.0 would publish it on each of the node's addresses; k8s sets the pod's address instead.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from tests.deploy.worker_process import WorkerProcess
from tests.fixtures.redis_server import RedisServer


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _media_worker(redis_server: RedisServer, **env: str) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(
        "media-worker",
        REDIS_URL=redis_server.url,
        HOST="0.0.0.0",  # the API's default must not leak into the worker's metrics
        MEDIA_HOST_ADDRESSES="127.0.0.1",
        **env,
    )
    worker.env["DATABASE_URL"] = f"sqlite:///{os.path.join(worker.workdir, 'voxhub.db')}"
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def default_worker(redis_server: RedisServer) -> Iterator[WorkerProcess]:
    yield from _media_worker(redis_server)


@pytest.fixture
def pod_address_worker(redis_server: RedisServer) -> Iterator[WorkerProcess]:
    yield from _media_worker(redis_server, METRICS_HOST="127.0.0.3")


def test_metrics_listen_on_loopback_by_default(default_worker: WorkerProcess) -> None:
    assert "voxhub" in default_worker.metrics()
    assert _accepts("127.0.0.1", default_worker.metrics_port)
    assert not _accepts("127.0.0.2", default_worker.metrics_port), "listening on every address"


def test_metrics_listen_on_the_configured_address_only(pod_address_worker: WorkerProcess) -> None:
    assert "voxhub" in pod_address_worker.metrics()
    assert not _accepts("127.0.0.1", pod_address_worker.metrics_port)
