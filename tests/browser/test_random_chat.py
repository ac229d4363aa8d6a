"""The random chat page in Chromium: two contexts on two `voxhub serve` workers are matched and
talk peer to peer (Chromium to Chromium); "Next" with a third re-matches, the partner is told."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import number, open_page, screenshot
from tests.browser.stack import WebStack


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


def hears_partner(page: Page) -> None:
    expect(page.locator("#call-state")).to_have_text("connected", timeout=20_000)
    page.wait_for_function("Number(document.querySelector('#energy').textContent) > 0")
    assert number(page, "#packets-received") > 0
    expect(page.locator("#path")).to_have_text(LOOPBACK_PATH)


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
