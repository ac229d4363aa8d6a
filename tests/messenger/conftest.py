"""What the messenger's tests on the shared cluster use (tests/messenger/ai has its own
server and overrides `http`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fixtures.voxhub_server import VoxhubServer


@pytest.fixture
async def http(cluster: VoxhubServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as client:
        yield client
