"""`media` for real at a tiny size: one `voxhub media-worker` and aiortc's stock peer, called
by the same aiortc callers (1 then 2 calls each), with every recording decoded.

Its own run rather than part of `test_bench_smoke`: it needs no WebSocket benchmark and they
need no media stack.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.bench.test_bench_smoke import REPO, rows


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("bench-media")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "media", "--scale", "smoke",
         "--results", str(folder / "RESULTS.md"), "--json", str(folder / "results.json")],
        cwd=REPO, capture_output=True, text=True, timeout=150,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "### media" in (folder / "RESULTS.md").read_text()
    (outcome,) = json.loads((folder / "results.json").read_text())
    return outcome


def test_both_sides_echo_every_burst_and_record_a_decodable_file(media) -> None:
    steps = rows(media)
    assert [(s["server"], s["calls"]) for s in steps] == [
        ("Voxhub", 1), ("aiortc stock", 1), ("Voxhub", 2), ("aiortc stock", 2),
    ]  # fmt: skip
    for step in steps:
        assert step["placed"] == step["calls"] and step["errors"] == "0"
        assert 45 <= step["echo pkts/s/call"] <= 55  # 20 ms packets came back all along
        assert step["bursts timed"] >= 5 * step["calls"] and step["bursts lost"] == 0
        assert 0 < step["echo p50 ms"] <= step["echo p99 ms"] <= step["echo max ms"]
        assert step["recordings OK"] == f"{step['calls']}/{step['calls']}"
        assert step["kept up"] is True
        assert step["media process CPU"] > 0 and step["loadgen CPU"] > 0


def test_voxhub_passes_packets_through_and_the_stock_path_re_encodes(media) -> None:
    for step in rows(media):
        passthrough = step["server"] == "Voxhub"
        expected = "100%" if passthrough else "0%"
        assert step["echo bytes = sent"] == expected
        assert step["recording bytes = sent"] == expected
        if passthrough:
            assert step["echo p99 ms"] < 200


def test_the_summary_compares_cpu_per_call_at_each_step(media) -> None:
    compared = rows(media, 1)
    assert [row["calls"] for row in compared] == [1, 2]
    for row in compared:
        assert row["ratio"].endswith("×") and row["ratio above idle"].endswith("×")
        assert row["Voxhub CPU % / call"] > 0 and row["stock CPU % / call"] > 0
        assert row["both kept up"] is True
    assert media["verdict"].startswith(("met: at 2 calls", "missed: at 2 calls"))
