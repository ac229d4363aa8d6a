"""The roulette page in Chromium: two tabs on one key, each on its own worker; a click on one
shows on the other within a second, and a REST save shows on both."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.pages import open_page, screenshot
from tests.browser.stack import WebStack


def test_two_tabs_on_two_workers_see_clicks_and_rest_saves(
    stack: WebStack, browser: Browser, tmp_path: Path
):
    key = f"Стол {uuid.uuid4().hex[:6]}"
    path = "/web/roulette.html?" + str(httpx.QueryParams({"key": key}))
    (ctx_a, a), (ctx_b, b) = (open_page(browser, server, path) for server in (stack.a, stack.b))
    for page in (a, b):
        expect(page.locator("#socket")).to_have_attribute("data-state", "open")
        expect(page.locator("#count")).to_have_text("0 spins")

    a.click("#board [data-number='17']")
    expect(b.locator("#history span").first).to_have_text("17", timeout=1000)

    saved = httpx.post(f"{stack.a.url}/api/roulette/save", json={"key": key, "number": "00"})
    assert saved.status_code == 200
    for page in (a, b):
        expect(page.locator("#history span")).to_have_text(["00", "17"])
        expect(page.locator("#count")).to_have_text("2 spins")

    b.click("#history span >> nth=1")  # removes the 17 from the other tab
    expect(a.locator("#history span")).to_have_text(["00"])
    assert httpx.get(f"{stack.b.url}/api/roulette/{key}").json() == {"history": ["00"]}
    screenshot(a, tmp_path, "a")
    screenshot(b, tmp_path, "b")
    ctx_a.close()
    ctx_b.close()
