"""The echo page in Chromium: the browser's own WebRTC stack against `POST /webrtc`."""

from __future__ import annotations

import io
from pathlib import Path

import av
import httpx
from playwright.sync_api import Browser, expect

from tests.browser.pages import number, open_page, screenshot, sign_up
from tests.browser.stack import WebStack

CALL_SECONDS = 4.0


def decoded_seconds(ogg: bytes) -> float:
    with av.open(io.BytesIO(ogg)) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
        return samples / container.streams.audio[0].sample_rate


def test_landing_shows_health_and_stats_live(stack: WebStack, browser: Browser, tmp_path: Path):
    context, page = open_page(browser, stack.a, "/")
    expect(page.locator("#health-status")).to_have_text("ok")
    expect(page.locator("#health-database")).to_have_text("ok")
    expect(page.locator("#stats-workers")).not_to_have_text("…")
    assert number(page, "#stats-workers") >= 1
    pages = page.locator(".card h2 a").evaluate_all("links => links.map(a => a.href)")
    assert len(pages) == 6
    for href in pages:
        assert httpx.get(href).status_code == 200, href
    screenshot(page, tmp_path)
    context.close()


def test_echo_call_is_heard_and_recorded(stack: WebStack, browser: Browser, tmp_path: Path):
    context, page = open_page(browser, stack.a, "/web/echo.html")
    sign_up(page)
    page.click("#call")
    expect(page.locator("#state")).to_have_attribute("data-state", "open", timeout=20_000)
    # The echoed speech comes back with energy (getStats' totalAudioEnergy of the playing track).
    page.wait_for_function("Number(document.querySelector('#energy').textContent) > 0")
    page.wait_for_timeout(CALL_SECONDS * 1000)
    page.click("#hangup")
    expect(page.locator("#recording")).to_be_visible(timeout=20_000)
    call = number(page, "#duration")
    assert number(page, "#packets-received") > 0
    conversation = page.locator("#conversation").inner_text()
    token = page.evaluate("localStorage.getItem('voxhub.token')")
    recording = httpx.get(
        f"{stack.a.url}/api/conversations/{conversation}/recording",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert recording.status_code == 200
    assert abs(decoded_seconds(recording.content) - call) <= 0.1 * call
    screenshot(page, tmp_path)
    context.close()
