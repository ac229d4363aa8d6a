"""The messenger page in Chromium: two users on two workers; a message shows live, and the
AI advice written through the fake OpenAI server shows to its owner alone."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.pages import open_page, screenshot, sign_up
from tests.browser.stack import WebStack

ADVICE = "Advice: thank them and ask about the weekend."


def test_live_message_and_advice_only_to_its_owner(
    stack: WebStack, browser: Browser, tmp_path: Path
):
    for route in (stack.fake.responses, stack.fake.chat_completions):
        route.text = ADVICE
    (ctx_a, a), (ctx_b, b) = (
        open_page(browser, server, "/web/messenger.html") for server in (stack.a, stack.b)
    )
    sign_up(a)
    user_b = sign_up(b)
    for page in (a, b):
        expect(page.locator("#socket")).to_have_attribute("data-state", "open")

    a.fill("#new-members", "999999")  # nobody: the server's refusal is shown as it said it
    a.click("#new-chat button")
    expect(a.locator("#error")).to_have_text("member_ids include users who cannot be added")
    a.fill("#new-members", str(user_b))
    a.click("#new-chat button")
    expect(a.locator("#chat-title")).to_contain_text(f"#{user_b}")
    expect(a.locator("#error")).to_be_hidden()
    b.click("#refresh")
    b.click("#chats li >> nth=0")
    b.select_option("#ai-mode", "advice")
    expect(b.locator("#error")).to_be_hidden()

    a.fill("#text", "Hi! I loved the concert yesterday.")
    a.click("#send-button")
    expect(a.locator("#messages p")).to_have_count(1)
    expect(b.locator("#messages p")).to_contain_text(["I loved the concert"])
    expect(b.locator("#advice p")).to_have_text([ADVICE], timeout=20_000)
    # The advice is B's alone: A's page got no frame, and A's own advice list is empty.
    chat_id = a.locator("#chats li.active").get_attribute("data-chat-id")
    token_a = a.evaluate("localStorage.getItem('voxhub.token')")
    mine = httpx.get(
        f"{stack.a.url}/api/chats/{chat_id}/advice", headers={"Authorization": f"Bearer {token_a}"}
    )
    assert mine.json() == []
    expect(a.locator("#advice p")).to_have_count(0)
    screenshot(a, tmp_path, "a")
    screenshot(b, tmp_path, "b")
    ctx_a.close()
    ctx_b.close()


def test_a_dropped_socket_reconnects_visibly_and_backfills(
    stack: WebStack, browser: Browser, tmp_path: Path
):
    (ctx_a, a), (ctx_b, b) = (
        open_page(browser, server, "/web/messenger.html") for server in (stack.a, stack.b)
    )
    user_a, user_b = sign_up(a), sign_up(b)
    a.fill("#new-members", str(user_b))
    a.click("#new-chat button")
    b.click("#refresh")
    b.click("#chats li >> nth=0")
    expect(b.locator("#socket")).to_have_attribute("data-state", "open")

    stack.b.stop()  # B's worker goes away: its socket closes (1001)
    expect(b.locator("#socket")).to_have_attribute("data-state", "reconnecting")
    a.fill("#text", "sent while you were away")
    a.click("#send-button")
    expect(a.locator("#messages p")).to_have_count(1)
    stack.b.start()
    expect(b.locator("#socket")).to_have_attribute("data-state", "open", timeout=30_000)
    expect(b.locator("#messages p")).to_have_text([f"#{user_a}: sent while you were away"])
    screenshot(b, tmp_path, "b")
    ctx_a.close()
    ctx_b.close()
