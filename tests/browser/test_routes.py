"""The routes that serve the pages: the shipped files with their types, nothing else, limited
per client address."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.stack import WebStack
from tests.fixtures.voxhub_server import VoxhubServer


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "text/html"),
        ("/web/echo.html", "text/html"),
        ("/web/voxhub.js", "text/javascript"),
        ("/web/style.css", "text/css"),
    ],
)
def test_pages_modules_and_styles_are_served_with_their_types(
    stack: WebStack, path: str, kind: str
):
    response = httpx.get(stack.a.url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(kind)
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/web/nothing.js", "/web/__init__.py", "/web/routes.py", "/web/..%2Froutes.py"]
)
def test_only_shipped_files_are_served(stack: WebStack, path: str):
    response = httpx.get(stack.a.url + path)
    assert response.status_code == 404
    assert "error" in response.json()


def test_page_loads_are_limited_per_address():
    server = VoxhubServer(workers=1, REDIS_URL="memory://", RATE_LIMIT_PER_MINUTE="4")
    server.start()
    try:
        statuses = [httpx.get(server.url + "/web/chat.html").status_code for _ in range(6)]
        assert statuses[:4] == [200] * 4
        assert statuses[-1] == 429
        assert httpx.get(server.url + "/stats").status_code == 200  # other budgets untouched
    finally:
        server.stop()
