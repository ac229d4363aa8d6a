"""Every benchmark, run for real at a tiny size: the harness must keep working as the app grows.

One `python -m bench ... --scale smoke` process runs them all on one shared stack (Redis,
PostgreSQL, `voxhub serve --workers 2`), as `make bench` does, only smaller.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SMOKED = ["rest", "ws-capacity", "relay", "fanout", "fanout-peer", "match", "ws-storm"]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "bench", *SMOKED, "--scale", "smoke",
         "--results", str(folder / "RESULTS.md"), "--json", str(folder / "results.json")],
        cwd=REPO, capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    text = (folder / "RESULTS.md").read_text()
    assert "commit `" in text and "cores" in text
    return {
        outcome["name"]: outcome for outcome in json.loads((folder / "results.json").read_text())
    }


def rows(outcome: dict[str, Any], table: int = 0) -> list[dict[str, Any]]:
    spec = outcome["tables"][table]
    return [dict(zip(spec["columns"], row, strict=True)) for row in spec["rows"]]


def test_rest_measures_voxhub_routes_against_bare_sanic(smoke) -> None:
    measured = rows(smoke["rest"])
    assert [row["target"].split(" `")[0] for row in measured] == ["bare Sanic", "Voxhub", "Voxhub"]
    for row in measured:
        assert row["status"] == 200
        assert row["requests/s"] > 50
        assert row["non-2xx"] == 0 and row["socket errors"] == 0
        assert 0 < row["p50 ms"] <= row["p99 ms"]
        assert row["wrk CPU (cores)"] > 0
    assert smoke["rest"]["verdict"].startswith(("met", "missed"))


def test_ws_capacity_holds_ping_answering_sockets_on_both_workers(smoke) -> None:
    idle, *steps = rows(smoke["ws-capacity"])
    assert idle["sockets"] == 0 and idle["Voxhub RSS MB"] > 0
    assert [step["sockets"] for step in steps] == [50, 200]
    for step in steps:
        assert step["open"] == step["sockets"] and step["refused"] == 0
        assert len(step["per worker"].split(" / ")) == 2  # both workers hold sockets
        assert step["pongs/s"] > 0  # the server pinged and every client answered
        assert step["above idle MB"] > 0 and step["KB / socket"] > 0
    assert "held 200 sockets" in smoke["ws-capacity"]["verdict"]


def test_relay_delivers_every_candidate_across_workers(smoke) -> None:
    (step,) = rows(smoke["relay"])
    assert step["target relays/s"] == 200
    assert step["not in by +5 s"] == 0 and step["errors"] == 0
    assert step["achieved/s"] > 100
    assert 0 < step["p50 ms"] <= step["p99 ms"] <= step["max ms"]
    assert step["Voxhub CPU"] > 0 and step["loadgen CPU"] > 0


def test_match_pairs_clients_with_no_violation(smoke) -> None:
    (run,) = rows(smoke["match"])
    assert run["rooms"] > 20 and run["matches/s"] > 0
    for violation in (
        "two rooms at once", "self-matches", "ghost matches", "inconsistent rooms",
        "one-sided rooms",
    ):  # fmt: skip
        assert run[violation] == 0, violation
    assert run["error frames"] == 0
    assert smoke["match"]["verdict"].endswith(", 0 violations")


def test_fanout_delivers_every_update_to_every_watcher(smoke) -> None:
    steps = rows(smoke["fanout"])
    assert [step["watchers K"] for step in steps] == [20, 20]
    for step in steps:
        assert step["lost"] == 0
        assert step["achieved deliveries/s"] > 0.5 * step["target deliveries/s"]
        assert 0 < step["p50 ms"] <= step["p99 ms"]


def test_fanout_peer_runs_python_socketio_with_the_same_clients(smoke) -> None:
    peer_steps = rows(smoke["fanout-peer"], 0)
    assert [step["watchers K"] for step in peer_steps] == [20, 20]
    assert all(step["lost"] == 0 for step in peer_steps)
    assert all(step["python-socketio CPU"] > 0 for step in peer_steps)
    compared = rows(smoke["fanout-peer"], 1)
    assert [row["target deliveries/s"] for row in compared] == [200, 1000]
    assert all(row["throughput ratio"].endswith("×") for row in compared)


def test_ws_storm_gets_every_socket_of_a_burst_in_on_both_workers(smoke) -> None:
    (burst,) = rows(smoke["ws-storm"])
    assert burst["burst"] == 200 and burst["connected"] == 200 and burst["lost"] == 0
    assert burst["workers"] == 2
    assert 0 < burst["p50 to session (s)"] <= burst["p99 to session (s)"]
    assert smoke["ws-storm"]["verdict"].startswith(("met", "missed"))
