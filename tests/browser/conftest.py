"""Browser tests: Debian's Chromium driven by Playwright, in a loopback-only network namespace.

Outside the namespace (a plain `pytest`), these tests are run by one child pytest under
`unshare -n` and their reports replayed here (see `namespace.py`). Inside it, the fixtures below
start the servers (`stack.py`) and one Chromium with a fake microphone that speaks a sentence
made by espeak-ng, so the audio that comes back can be measured, not just counted.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser import namespace
from tests.browser.stack import WebStack, web_stack
from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SPEECH = "Hello from the browser test. One, two, three, four, five. Voxhub hears this voice."


@pytest.hookimpl(trylast=True)  # after -k, -m and --deselect have had their say
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not namespace.inside:
        namespace.remember_selection(config, items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    if namespace.inside or not namespace.is_browser_test(item):
        return None
    namespace.replay(item)
    return True


def pytest_configure(config: pytest.Config) -> None:
    if namespace.inside:
        config.pluginmanager.register(namespace.Recorder(config), "voxhub-browser-recorder")


# -- inside the namespace ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def stack(redis_server: RedisServer, postgres_server: PostgresServer) -> Iterator[WebStack]:
    with web_stack(redis_server, postgres_server) as servers:
        yield servers


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WAV of spoken words (espeak-ng), the fake microphone's sound, looped by Chromium."""
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), SPEECH], check=True)
    return path


@pytest.fixture(scope="session")
def browser(speech: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={speech}",
                "--allow-loopback-in-peer-connection",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield chromium
        chromium.close()
