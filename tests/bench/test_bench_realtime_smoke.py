"""`realtime-calls` for real at a tiny size: the benchmark must keep working as the app grows
(beside the other smoke runs, so that tests/realtime_calls stays quick)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.bench.test_bench_smoke import REPO, rows


def test_the_realtime_calls_bench_measures_and_charges_exactly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "realtime-calls", "--scale", "smoke",
         "--results", str(tmp_path / "RESULTS.md"), "--json", str(tmp_path / "results.json")],
        cwd=REPO, capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "### realtime-calls" in (tmp_path / "RESULTS.md").read_text()
    (outcome,) = json.loads((tmp_path / "results.json").read_text())
    (live,) = rows(outcome, 0)
    (saturated,) = rows(outcome, 1)
    assert live["calls"] == saturated["calls"] == 2
    assert live["every response charged once"] is True
    assert saturated["charged once"] is True
    assert saturated["sideband events/s"] > 0
