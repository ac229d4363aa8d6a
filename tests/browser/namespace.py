"""Running the browser tests inside a network namespace that has only loopback.

`pytest` (and so `make test`) collects `tests/browser/` like any folder. Outside the namespace,
the first browser test to run starts one child pytest under `unshare -n` (lo brought up) with
every selected browser test; the child runs them against servers it starts itself, so Chromium
and every server see only 127.0.0.1 and ::1, and every ICE candidate is a loopback one. The
child writes each test report through pytest's own report serialization (as pytest-xdist
does), and the parent replays them as its own: each browser test passes, fails or skips in the
parent's summary with the child's traceback and captured output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

FLAG = "VOXHUB_LOOPBACK_NAMESPACE"
REPORTS = "VOXHUB_BROWSER_REPORTS"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHILD_TIMEOUT = 600  # the child's own per-test timeouts fire long before this

inside = os.environ.get(FLAG) == "1"

_selected = pytest.StashKey[list[str]]()
_replies = pytest.StashKey[dict[str, list[pytest.TestReport]]]()
_child_log = pytest.StashKey[str]()


def is_browser_test(item: pytest.Item) -> bool:
    return HERE in Path(item.path).parents


def remember_selection(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[_selected] = [item.nodeid for item in items if is_browser_test(item)]


class Recorder:
    """In the child: every test report, serialized, appended to the parent's file."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.path = os.environ.get(REPORTS)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.path:
            return
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(data) + "\n")


def replay(item: pytest.Item) -> None:
    """In the parent: report `item` as the child ran it."""
    config = item.config
    if _replies not in config.stash:
        # pytest-timeout armed its per-test timer for this item; the child runs every browser
        # test under its own per-test timeouts, bounded as a whole by CHILD_TIMEOUT.
        cancel = getattr(config.pluginmanager.hook, "pytest_timeout_cancel_timer", None)
        if cancel is not None:
            cancel(item=item)
        config.stash[_replies] = _run_child(config)
    reports = config.stash[_replies].get(item.nodeid) or [_missing(item, config)]
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)


def _run_child(config: pytest.Config) -> dict[str, list[pytest.TestReport]]:
    with tempfile.TemporaryDirectory(prefix="voxhub-browser-") as folder:
        reports_path = Path(folder, "reports.jsonl")
        log_path = Path(folder, "child.log")
        env = {**os.environ, FLAG: "1", REPORTS: str(reports_path)}
        with open(log_path, "wb") as log:
            try:
                subprocess.run(
                    [*_IN_LOOPBACK_NAMESPACE, *_child_pytest(config)],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=CHILD_TIMEOUT,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.write(f"\n{exc}\n".encode())
        config.stash[_child_log] = log_path.read_text(errors="replace")
        lines = reports_path.read_text().splitlines() if reports_path.exists() else []
    replies: dict[str, list[pytest.TestReport]] = {}
    for line in lines:
        data: dict[str, Any] = json.loads(line)
        report = config.hook.pytest_report_from_serializable(config=config, data=data)
        replies.setdefault(report.nodeid, []).append(report)
    return replies


# A new network namespace whose only interface is loopback, brought up before the command.
_IN_LOOPBACK_NAMESPACE = [
    "unshare",
    "--net",
    "--",
    "sh",
    "-c",
    'ip link set lo up && exec "$0" "$@"',
]


def _child_pytest(config: pytest.Config) -> list[str]:
    selected = config.stash.get(_selected, [])
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selected]


def _missing(item: pytest.Item, config: pytest.Config) -> pytest.TestReport:
    """The child never reported this test: it could not start (no `unshare`, not root) or
    died; its output says why."""
    tail = config.stash.get(_child_log, "")[-6000:]
    return pytest.TestReport(
        item.nodeid,
        item.location,
        {},
        "failed",
        f"the browser test did not run inside the loopback namespace; the child said:\n{tail}",
        "call",
    )
