"""The Voice AI console in Chromium as a Telegram Mini App: a fake `Telegram.WebApp.initData`
(signed with the test bot's token) signs in; the balance and the plans show, and a voice session
is a metered Realtime call: Chromium talks to the fake OpenAI Realtime server's peer and hears
its tone, the server charges each answer, and hanging up settles the balance."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.accounts.client import init_data
from tests.browser.pages import number, screenshot
from tests.fixtures.fake_realtime import FakeRealtime
from tests.fixtures.voxhub_server import VoxhubServer

SEEDED_PLANS = ["Базовый", "Премиум", "Про"]


@pytest.fixture(scope="module")
def metered() -> Iterator[VoxhubServer]:
    """`voxhub serve` as `make run` starts it (the sideband engine inside), its OpenAI the
    fake Realtime server."""
    with FakeRealtime("test") as fake:
        server = VoxhubServer(
            REDIS_URL="memory://",
            OPENAI_API_KEY="test",
            OPENAI_BASE_URL=fake.url,
            DEFAULT_TOKEN_BALANCE="5000",
            REALTIME_HOLD_TOKENS="1000",
            REALTIME_LOW_WATER_TOKENS="400",
        )
        server.start()
        yield server
        server.stop()


def test_telegram_init_data_signs_in_and_shows_balance_and_plans(
    metered: VoxhubServer, browser: Browser, tmp_path: Path
):
    telegram_id = int(uuid.uuid4().int % 10**9)
    user = {"id": telegram_id, "first_name": "Anna", "username": f"anna{telegram_id}"}
    context = browser.new_context(base_url=metered.url, viewport={"width": 1100, "height": 900})
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
    expect(page.locator("#session")).to_contain_text("started: speak to the assistant")
    expect(page.locator("#call-state")).to_have_text("live")
    page.wait_for_function("Number(document.querySelector('#call-responses').textContent) >= 2")
    page.wait_for_function("Number(document.querySelector('#call-energy').textContent) > 0")
    page.click("#hang-up")
    expect(page.locator("#call-state")).to_have_text("ended (hangup)")
    charged = number(page, "#call-charged")
    assert charged > 0
    expect(page.locator("#balance")).to_have_text(f"{5000 - int(charged)} tokens")
    expect(page.locator("#error")).to_be_hidden()
    screenshot(page, tmp_path)
    context.close()
