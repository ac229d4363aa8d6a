"""The metric names operators' tools may query, and the series the shipped tools do query.

The contract is what Voxhub promises to expose; the Grafana dashboard and the
prometheus-adapter rule may only use these names, and every one must show up in a running
Voxhub's `/metrics`. A histogram is queried through its `_bucket`/`_sum`/`_count` series.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
ADAPTER_RULES = ROOT / "k8s" / "prometheus-adapter" / "rules.yaml"

COUNTER, GAUGE, HISTOGRAM = "counter", "gauge", "histogram"

CONTRACT: dict[str, str] = {
    "voxhub_http_requests_total": COUNTER,
    "voxhub_http_request_duration_seconds": HISTOGRAM,
    "voxhub_ws_connections": GAUGE,
    "voxhub_ws_messages_total": COUNTER,
    "voxhub_matches_total": COUNTER,
    "voxhub_match_wait_seconds": HISTOGRAM,
    "voxhub_match_queue_length": GAUGE,
    "voxhub_match_active_rooms": GAUGE,
    "voxhub_roulette_updates_total": COUNTER,
    "voxhub_media_active_calls": GAUGE,
    "voxhub_media_calls_total": COUNTER,
    "voxhub_media_recording_bytes_total": COUNTER,
    "voxhub_media_echo_drops_total": COUNTER,
    "voxhub_media_answer_latency_seconds": HISTOGRAM,
    "voxhub_ai_jobs_total": COUNTER,
    "voxhub_ai_latency_seconds": HISTOGRAM,
    "voxhub_ai_dead_letters_total": COUNTER,
    "voxhub_ai_stream_lag": GAUGE,
    "voxhub_chat_messages_total": COUNTER,
    "voxhub_bus_delivery_latency_seconds": HISTOGRAM,
    "voxhub_bus_publish_duration_seconds": HISTOGRAM,
    "voxhub_auth_failures_total": COUNTER,
    "voxhub_tokens_spent_total": COUNTER,
    "voxhub_tokens_credited_total": COUNTER,
    "voxhub_realtime_tokens_minted_total": COUNTER,
}

_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
_SERIES = re.compile(r"\bvoxhub_[a-z0-9_]+\b")


def metric_of(series: str) -> str:
    """The contract name a queried series belongs to (itself when it is no histogram part)."""
    for suffix in _HISTOGRAM_SUFFIXES:
        base = series.removesuffix(suffix)
        if base != series and CONTRACT.get(base) == HISTOGRAM:
            return base
    return series


def series_in(expr: str) -> set[str]:
    return set(_SERIES.findall(expr))


def _panels(panels: list[dict]) -> Iterator[dict]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def dashboard_exprs() -> dict[str, list[str]]:
    """Every PromQL expression of every provisioned dashboard, by panel title."""
    exprs: dict[str, list[str]] = {}
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in _panels(json.loads(path.read_text())["panels"]):
            for target in panel.get("targets", []):
                exprs.setdefault(f"{path.name}: {panel['title']}", []).append(target["expr"])
    return exprs


def adapter_rules() -> list[dict]:
    config_map = yaml.safe_load(ADAPTER_RULES.read_text())
    return yaml.safe_load(config_map["data"]["config.yaml"])["rules"]


def adapter_exprs() -> list[str]:
    exprs: list[str] = []
    for rule in adapter_rules():
        exprs += [rule["seriesQuery"], rule["name"]["as"]]
    return exprs


def queried_series() -> set[str]:
    """Every `voxhub_*` series the dashboards and the adapter rule query."""
    found: set[str] = set()
    for exprs in [*dashboard_exprs().values(), adapter_exprs()]:
        for expr in exprs:
            found |= series_in(expr)
    return found


def exposed_series(metrics_text: str) -> set[str]:
    """Series names that have at least one sample in a Prometheus text exposition."""
    names: set[str] = set()
    for line in metrics_text.splitlines():
        if line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names
