"""Prometheus metrics that are correct across Sanic's worker processes.

Sanic forks workers, so every process writes its samples to PROMETHEUS_MULTIPROC_DIR and
`/metrics` merges them. The variable must be set before prometheus_client is first imported:
`multiproc.prepare_multiprocess_dir` runs in the CLI before the app is imported. Domains
declare their own metrics next to their code; this module holds the HTTP ones and the
exposition.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.observability.multiproc import ENV_VAR

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

http_requests = Counter(
    "voxhub_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"]
)
http_latency = Histogram(
    "voxhub_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)


def mark_process_dead(pid: int) -> None:
    """Drop a stopped worker's live gauges so `livesum` gauges stop counting it."""
    if os.environ.get(ENV_VAR):
        multiprocess.mark_process_dead(pid)


def exposition() -> tuple[bytes, str]:
    if os.environ.get(ENV_VAR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
