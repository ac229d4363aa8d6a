"""Per-address limits key on the client behind nginx, and on the peer when it is no proxy.

The shipped deploy/nginx.conf runs in front of a real `voxhub serve` that trusts only
127.0.0.1 (nginx's address here). Clients connect from other loopback addresses (127.0.0.2,
127.0.0.3, ...), which nginx passes on in X-Forwarded-For. The log-in throttle (ten times
LOGIN_ATTEMPTS_PER_MINUTE per address) shows whose address each attempt counted against.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.deploy.nginx import NginxServer
from tests.fixtures.voxhub_server import VoxhubServer

PER_ADDRESS = 10  # LOGIN_ATTEMPTS_PER_MINUTE=1, ten accounts' worth per address
Headers = dict[str, str]


@dataclass
class ProxiedApi:
    api: VoxhubServer
    nginx: NginxServer


@pytest.fixture(scope="module")
def proxied() -> Iterator[ProxiedApi]:
    api = VoxhubServer(
        workers=1, TRUSTED_PROXIES="127.0.0.1", PROXIES_COUNT="1", LOGIN_ATTEMPTS_PER_MINUTE="1"
    )
    api.start()
    nginx = NginxServer([api.port])
    try:
        nginx.start()
        yield ProxiedApi(api, nginx)
    finally:
        nginx.stop()
        api.stop()


def _client(base_url: str, source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=base_url, transport=transport, timeout=10)


def _log_in(http: httpx.Client, headers: Headers | None = None) -> int:
    """One wrong log-in for a fresh account (its own per-account budget is never reached)."""
    body = {"username": f"u{uuid.uuid4().hex[:12]}", "password": "wrong-password-1"}
    return http.post("/api/auth/login", json=body, headers=headers or {}).status_code


def _attempts_until_throttled(http: httpx.Client, headers_for: Callable[[int], Headers]) -> int:
    """Wrong log-ins until the first 429. The limiter's sliding window may admit a few more
    than PER_ADDRESS across a minute's boundary, never three times as many."""
    for attempt in range(3 * PER_ADDRESS):
        status = _log_in(http, headers_for(attempt))
        if status == 429:
            return attempt
        assert status == 401
    raise AssertionError("the address was never throttled")


def test_behind_nginx_each_client_address_has_its_own_budget(proxied: ProxiedApi) -> None:
    with _client(proxied.nginx.url, "127.0.0.2") as noisy:
        assert _attempts_until_throttled(noisy, lambda _: {}) >= PER_ADDRESS
        # A forged X-Forwarded-For does not help: nginx appends the real peer, the last one counts.
        assert _log_in(noisy, {"X-Forwarded-For": "203.0.113.9"}) == 429
    with _client(proxied.nginx.url, "127.0.0.3") as other:
        assert _log_in(other) == 401, "another client behind the same nginx is not locked out"


def test_a_peer_outside_trusted_proxies_cannot_name_its_address(proxied: ProxiedApi) -> None:
    """Each attempt names a new address in the headers; all count against the peer's."""
    with _client(proxied.api.url, "127.0.0.4") as direct:
        attempts = _attempts_until_throttled(
            direct, lambda n: {"X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"192.0.2.{n}"}
        )
    assert attempts >= PER_ADDRESS
