"""Benchmark names → the module that runs them (imported only when that benchmark runs)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bench.context import RunContext
from bench.report import Outcome

BENCHMARKS: dict[str, str] = {
    "rest": "bench.rest",
    "ws-capacity": "bench.ws_capacity",
    "relay": "bench.relay",
    "fanout": "bench.fanout",
    "fanout-peer": "bench.fanout_peer",
    "match": "bench.match",
    "media": "bench.media",
    "ws-storm": "bench.ws_storm",
    "realtime-calls": "bench.realtime_calls",
}


def runner(name: str) -> Callable[[RunContext], Outcome]:
    return importlib.import_module(BENCHMARKS[name]).run
