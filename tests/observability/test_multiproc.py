"""The samples folder is cleared of prometheus_client's files only, whatever path it is given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.config import Settings
from app.observability.multiproc import ENV_VAR, prepare_multiprocess_dir


def test_only_the_last_runs_sample_files_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    samples = ["counter_123.db", "gauge_livesum_77.db", "histogram_9.db", "summary_1.db"]
    kept = ["voxhub.db", "notes.txt", "counter_x.db"]
    for name in samples + kept:
        (tmp_path / name).write_text("x")
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "counter_5.db").write_text("x")

    prepare_multiprocess_dir(str(tmp_path))

    assert sorted(entry.name for entry in tmp_path.iterdir()) == sorted([*kept, "recordings"])
    assert (tmp_path / "recordings" / "counter_5.db").exists()
    assert os.environ[ENV_VAR] == str(tmp_path.resolve())


def test_an_unset_folder_is_one_per_port() -> None:
    unset = Settings.from_env({"PORT": "8123", "PROMETHEUS_MULTIPROC_DIR": ""}, dotenv=False)
    assert unset.serve_metrics_dir == "./var/prometheus/8123"
    chosen = Settings.from_env({"PROMETHEUS_MULTIPROC_DIR": "/run/voxhub"}, dotenv=False)
    assert chosen.serve_metrics_dir == "/run/voxhub"
