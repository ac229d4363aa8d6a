"""What every stand-alone worker process (media, AI) does before its event loop starts.

Those processes have no Sanic app, so they expose `/metrics` through prometheus_client's own
HTTP server. Several workers on one machine may share one port and one multiprocess folder:
the process that holds the port exposes the others' samples too.
"""

from __future__ import annotations

import logging
import os

from app.config import ConfigError, Settings

log = logging.getLogger("voxhub.process")


def prepare_worker_process(settings: Settings, name: str, metrics_port: int | None) -> None:
    """Refuse the embedded Redis, set up logging and expose metrics; `metrics_port` 0 = off."""
    if settings.embedded:
        raise ConfigError(
            f"invalid REDIS_URL: the {name} worker needs a shared Redis (with memory:// its "
            "work runs inside `voxhub serve`)"
        )
    # prometheus_client reads this once at import: the folder must exist before metrics load.
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if metrics_dir:
        os.makedirs(metrics_dir, exist_ok=True)
    from app.observability.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    port = settings.metrics_port if metrics_port is None else metrics_port
    if not port:
        return
    try:
        _start_metrics_server(port, settings.metrics_host)
    except OSError as exc:
        if not metrics_dir:
            raise ConfigError(
                f"invalid METRICS_PORT: cannot listen on {port} ({exc.strerror}); "
                "pass --metrics-port 0 or another port"
            ) from None
        log.info("metrics port %d is taken; samples go to %s", port, metrics_dir)


def _start_metrics_server(port: int, host: str) -> None:
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)
