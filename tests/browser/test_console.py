"""The Voice AI console in Chromium as a Telegram Mini App: a fake `Telegram.WebApp.initData`
(signed with the test bot's token) signs in; the balance, the plans and a voice session show."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.accounts.client import init_data
from tests.browser.pages import screenshot
from tests.browser.stack import WebStack

SEEDED_PLANS = ["Базовый", "Премиум", "Про"]


def test_telegram_init_data_signs_in_and_shows_balance_and_plans(
    stack: WebStack, browser: Browser, tmp_path: Path
):
    telegram_id = int(uuid.uuid4().int % 10**9)
    user = {"id": telegram_id, "first_name": "Anna", "username": f"anna{telegram_id}"}
    context = browser.new_context(base_url=stack.a.url, viewport={"width": 1100, "height": 900})
    context.add_init_script(
        f"window.Telegram = {{ WebApp: {{ initData: {json.dumps(init_data(user))} }} }};"
    )
    page = context.new_page()
    page.goto("/web/console.html")
    expect(page.locator("#telegram")).to_have_text("Signed in through Telegram.")
    expect(page.locator("#name")).to_have_text(f"Anna (@anna{telegram_id})")
    expect(page.locator("#balance")).to_have_text("5000 tokens")
    expect(page.locator("#plan")).to_have_text("Бесплатный план")
    plan_names = page.locator("#plans tr td:first-child")
    for name in SEEDED_PLANS:
        expect(plan_names.filter(has_text=name)).to_have_count(1)
    expect(page.locator("#prompts li").first).to_be_visible()

    page.click("#start-session")
    expect(page.locator("#session")).to_contain_text("Session ready: gpt-realtime with voice ash")
    expect(page.locator("#error")).to_be_hidden()
    screenshot(page, tmp_path)
    context.close()
