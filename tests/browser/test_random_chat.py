"""The random chat page in Chromium: two contexts on two `voxhub serve` workers are matched and
talk peer to peer (Chromium to Chromium); "Next" with a third re-matches, the partner is told.
Once more with `?relay` (iceTransportPolicy "relay") through a real coturn: the TURN
credentials from the session frame work in a browser, not only in aiortc."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import number, open_page, screenshot
from tests.browser.stack import WebStack
from tests.fixtures.postgres_server import PostgresServer
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.turn_server import TurnServer
from tests.fixtures.voxhub_server import VoxhubServer


def connected_as(page: Page) -> tuple[str, str]:
    """(user id, worker) from the page's socket state line."""
    socket = page.locator("#socket")
    expect(socket).to_have_attribute("data-state", "open")
    found = re.search(r"user (\S+) \(worker (.+)\)", socket.inner_text())
    assert found, socket.inner_text()
    return found[1], found[2]


# Inside the loopback namespace every candidate, so the chosen path, is loopback, and with no
# ICE servers configured the call can only be peer to peer.
LOOPBACK_PATH = re.compile(
    r"^(127\.0\.0\.1|\[?::1\]?):\d+ ↔ (127\.0\.0\.1|\[?::1\]?):\d+, direct \(peer to peer\)$"
)


RELAYED_PATH = re.compile(r", through a TURN relay$")


def hears_partner(page: Page, path: re.Pattern[str] = LOOPBACK_PATH) -> None:
    expect(page.locator("#call-state")).to_have_text("connected", timeout=20_000)
    page.wait_for_function("Number(document.querySelector('#energy').textContent) > 0")
    assert number(page, "#packets-received") > 0
    expect(page.locator("#path")).to_have_text(path)


def test_two_workers_match_talk_and_next_rematches(
    stack: WebStack, browser: Browser, tmp_path: Path
):
    (ctx_a, a), (ctx_b, b) = (
        open_page(browser, server, "/web/chat.html") for server in (stack.a, stack.b)
    )
    (user_a, worker_a), (user_b, worker_b) = connected_as(a), connected_as(b)
    assert worker_a != worker_b
    a.click("#start")
    expect(a.locator("#status")).to_contain_text("Looking for a partner")
    b.click("#start")
    expect(a.locator("#partner")).to_have_text(f"user {user_b}")
    expect(b.locator("#partner")).to_have_text(f"user {user_a}")
    hears_partner(a)
    hears_partner(b)

    ctx_c, c = open_page(browser, stack.b, "/web/chat.html")
    user_c, _ = connected_as(c)
    c.click("#start")
    expect(c.locator("#status")).to_contain_text("Looking for a partner")
    a.click("#next")
    expect(b.locator("#notice")).to_have_text("Partner left the conversation")
    expect(b.locator("#partner")).to_have_text("–")
    expect(a.locator("#partner")).to_have_text(f"user {user_c}")
    expect(c.locator("#partner")).to_have_text(f"user {user_a}")
    hears_partner(a)
    hears_partner(c)
    for name, page in (("a", a), ("b", b), ("c", c)):
        screenshot(page, tmp_path, name)
    for context in (ctx_a, ctx_b, ctx_c):
        context.close()


@pytest.fixture(scope="module")
def turn_workers(
    redis_server: RedisServer, postgres_server: PostgresServer
) -> Iterator[tuple[TurnServer, VoxhubServer, VoxhubServer]]:
    """A coturn in the namespace, and two workers handing out its time-limited credentials."""
    turn = TurnServer()
    turn.start()
    env = {
        "REDIS_URL": redis_server.url.replace("/0", "/5"),
        "DATABASE_URL": postgres_server.create_database(),
        "RATE_LIMIT_PER_MINUTE": "100000",
        "STUN_SERVERS": "",
        "TURN_SECRET": turn.secret,
        "TURN_URLS": ",".join(turn.urls),
    }
    servers = [VoxhubServer(workers=1, **env), VoxhubServer(workers=1, **env)]
    try:
        for server in servers:
            server.start()
        yield turn, servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()
        turn.close()


def test_relay_only_pages_talk_through_coturn(
    turn_workers: tuple[TurnServer, VoxhubServer, VoxhubServer], browser: Browser, tmp_path: Path
):
    turn, *servers = turn_workers
    (ctx_a, a), (ctx_b, b) = (
        open_page(browser, server, "/web/chat.html?relay") for server in servers
    )
    (user_a, _), (user_b, _) = connected_as(a), connected_as(b)
    a.click("#start")
    expect(a.locator("#status")).to_contain_text("Looking for a partner")
    b.click("#start")
    expect(a.locator("#partner")).to_have_text(f"user {user_b}")
    hears_partner(a, RELAYED_PATH)
    hears_partner(b, RELAYED_PATH)
    log = turn.log_text()
    for user in (user_a, user_b):  # each allocated a relay with its own credential
        assert f":{user}>" in log
    for name, page in (("relay-a", a), ("relay-b", b)):
        screenshot(page, tmp_path, name)
    for context in (ctx_a, ctx_b):
        context.close()
