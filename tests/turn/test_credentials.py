"""coturn's REST-API credentials (`use-auth-secret`) and the ICE list built with them, without
servers: the username and password scheme, the TTL and token bounds, who gets TURN at all, the
per-identity limit, the metric, and the settings refused at start."""

from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY

from app.auth import Identity, Role
from app.config import ConfigError
from app.errors import DomainError
from app.http.ice_servers import ice_servers
from app.http.turn import turn_credential, turn_password
from app.media.engine.worker import call_settings_from
from tests.turn.helpers import SECRET, URLS, memory_limiter, settings, turn_settings

NOW = 1_700_000_000.0
# Computed with `openssl dgst -binary -sha1 -hmac s3cret-turn | base64`, independently of the code.
KNOWN = {"1700000000:secret-x": "a5mgi2TxAzDoHwmEfLjjlWmZJKY="}
USER = Identity(sub="42", role=Role.USER, expires_at=time.time() + 7 * 86400)


def issued(kind: str) -> float:
    return REGISTRY.get_sample_value("voxhub_turn_credentials_issued_total", {"kind": kind}) or 0.0


def test_the_password_is_base64_hmac_sha1_of_the_username() -> None:
    for username, password in KNOWN.items():
        assert turn_password(SECRET, username) == password


def test_the_username_is_expiry_colon_name() -> None:
    credential = turn_credential(SECRET, "42", 3600, now=NOW)
    assert credential.username == "1700003600:42"
    assert credential.expires_at == 1_700_003_600
    assert credential.password == turn_password(SECRET, "1700003600:42")


def test_a_credential_never_outlives_the_token() -> None:
    credential = turn_credential(SECRET, "42", 3600, not_after=NOW + 90.9, now=NOW)
    assert credential.expires_at == 1_700_000_090  # rounded down, never up
    assert turn_credential(SECRET, "42", 60, not_after=NOW + 3600, now=NOW).expires_at == NOW + 60


def test_another_secret_gives_another_password() -> None:
    assert turn_password(SECRET, "1:a") != turn_password(SECRET + "x", "1:a")


async def test_an_identified_caller_gets_a_credential_of_its_own() -> None:
    config = turn_settings(STUN_SERVERS="stun:stun.example.net:3478", TURN_TTL="10m")
    before = issued("user")
    start = time.time()
    servers = (await ice_servers(config, memory_limiter(config), USER)).model_dump(mode="json")
    stun, turn = servers["iceServers"]
    assert stun == {"urls": ["stun:stun.example.net:3478"]}
    assert turn["urls"] == URLS.split(",")
    expiry, _, name = turn["username"].partition(":")
    assert name == "42"
    assert int(start) + 600 - 1 <= int(expiry) <= time.time() + 600
    assert turn["credential"] == turn_password(SECRET, turn["username"])
    assert issued("user") == before + 1


async def test_the_token_expiry_bounds_the_credential() -> None:
    config = turn_settings()
    soon = Identity(sub="7", role=Role.ANON, expires_at=time.time() + 30)
    servers = await ice_servers(config, memory_limiter(config), soon)
    username = servers.iceServers[0].username
    assert username is not None
    assert int(username.partition(":")[0]) <= soon.expires_at  # type: ignore[operator]


async def test_anonymous_callers_get_stun_only_by_default() -> None:
    config = turn_settings(STUN_SERVERS="stun:s:1")
    servers = await ice_servers(config, memory_limiter(config), None, "192.0.2.1")
    assert servers.model_dump(mode="json") == {"iceServers": [{"urls": ["stun:s:1"]}]}


async def test_turn_for_anonymous_names_each_credential_randomly() -> None:
    config = turn_settings(TURN_FOR_ANONYMOUS="true")
    limiter = memory_limiter(config)
    first = (await ice_servers(config, limiter, None, "192.0.2.1")).iceServers[0].username
    second = (await ice_servers(config, limiter, None, "192.0.2.1")).iceServers[0].username
    assert first and second and first != second
    assert first.partition(":")[2].startswith("anonymous-")


async def test_issuance_is_limited_per_identity() -> None:
    config = turn_settings(TURN_CREDENTIALS_PER_MINUTE="3")
    limiter = memory_limiter(config)
    for _ in range(3):
        await ice_servers(config, limiter, USER)
    with pytest.raises(DomainError) as refused:
        await ice_servers(config, limiter, USER)
    assert refused.value.status == 429
    assert refused.value.headers == {"Retry-After": "60"}
    other = Identity(sub="43", role=Role.USER)
    assert (await ice_servers(config, limiter, other)).iceServers  # someone else is not limited


async def test_anonymous_issuance_is_limited_per_address() -> None:
    config = turn_settings(TURN_FOR_ANONYMOUS="true", TURN_CREDENTIALS_PER_MINUTE="1")
    limiter = memory_limiter(config)
    await ice_servers(config, limiter, None, "192.0.2.1")
    with pytest.raises(DomainError):
        await ice_servers(config, limiter, None, "192.0.2.1")
    assert (await ice_servers(config, limiter, None, "192.0.2.2")).iceServers


async def test_the_static_pair_is_counted_and_not_limited() -> None:
    config = settings(TURN_URL="turn:t:3478", TURN_USERNAME="u", TURN_PASSWORD="p")
    limiter = memory_limiter(config)
    before = issued("static")
    for _ in range(config.turn_credentials_per_minute + 1):
        servers = await ice_servers(config, limiter, None)
    assert servers.model_dump(mode="json") == {
        "iceServers": [{"urls": ["turn:t:3478"], "username": "u", "credential": "p"}]
    }
    assert issued("static") == before + config.turn_credentials_per_minute + 1


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TURN_SECRET": SECRET}, "invalid TURN_SECRET: set TURN_URLS"),
        ({"TURN_URLS": "turn:t:3478"}, "invalid TURN_URLS: set TURN_SECRET"),
        ({"TURN_SECRET": SECRET, "TURN_URLS": "stun:t:3478"}, "is not a turn: or turns: URL"),
        ({"MEDIA_USE_TURN": "true"}, "invalid MEDIA_USE_TURN"),
        ({"TURN_SECRET": SECRET, "TURN_URLS": URLS, "TURN_URL": "turn:t:1"}, "invalid TURN_URL"),
        ({"TURN_TTL": "0"}, "invalid TURN_TTL"),
    ],
)
def test_unusable_turn_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings(**env)


def test_defaults() -> None:
    config = settings()
    assert (config.turn_ttl, config.turn_for_anonymous, config.media_use_turn) == (
        3600,
        False,
        False,
    )


def test_a_media_worker_gets_a_credential_of_its_own_per_call() -> None:
    config = turn_settings(MEDIA_USE_TURN="true", STUN_SERVERS="stun:s:1", TURN_TTL="5m")
    call_settings = call_settings_from(config, "w1")
    before = issued("media")
    stun, turn = call_settings.call_ice_servers()
    assert stun.urls == "stun:s:1"
    assert turn.urls == URLS.split(",")
    assert turn.username is not None and turn.username.endswith(":media-w1")
    assert int(turn.username.partition(":")[0]) <= time.time() + 300
    assert turn.credential == turn_password(SECRET, turn.username)
    assert len(call_settings.call_ice_servers()) == 2
    assert issued("media") == before + 2  # one per call, not one per worker start
    assert call_settings_from(turn_settings(), "w1").call_ice_servers() == []
