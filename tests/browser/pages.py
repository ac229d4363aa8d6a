"""What the browser tests do on every page: open it on a server, sign up through its form,
read the numbers it shows, and keep a screenshot of the end state."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.fixtures.voxhub_server import VoxhubServer

PASSWORD = "correct-horse-42"


def open_page(browser: Browser, server: VoxhubServer, path: str) -> tuple[BrowserContext, Page]:
    """A fresh context (its own storage: its own user) with `path` of `server` open."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(path)
    return context, page


def sign_up(page: Page) -> int:
    """Sign a new user up through the page's shared form; their user id."""
    name = "web" + uuid.uuid4().hex[:10]
    page.fill(".signin [name=username]", name)
    page.fill(".signin [name=password]", PASSWORD)
    page.click(".signin [name=register]")
    who = page.locator(".who")
    expect(who).to_contain_text(name)
    return int(who.get_attribute("data-user-id") or 0)


def number(page: Page, selector: str) -> float:
    """A number a page shows ("1234", "4.02 s")."""
    return float(page.locator(selector).inner_text().split()[0])


def screenshot(page: Page, folder: Path, name: str = "final") -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
