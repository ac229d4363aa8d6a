"""Production refuses every signing secret a reader of this repository could copy.

A secret with a default in docker-compose.yml, an example in .env.example or the docs, or a
constant in the tests is public: whoever runs with it hands anyone the power to mint an admin
token. The scan below finds every value the repository gives JWT_SECRET or TURN_SECRET (as a
literal, a `${VAR:-default}` or a constant named after them) and checks the guard refuses each.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from app.config import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"ENVIRONMENT": "production", "ALLOWED_ORIGINS": "https://voxhub.example.com"}
_NAME = r"\w*(?:JWT|TURN|AUTH)_SECRET"
_DEFAULT = re.compile(r"\$\{" + _NAME + r":?[-=]([^}]*)\}", re.IGNORECASE)
# `NAME=value`, `NAME: value` or `NAME = "value"` as a whole line (env files, YAML, Python).
_LITERAL = re.compile(
    r"^[ \t]*(?:export[ \t]+)?" + _NAME + r"[ \t]*[=:][ \t]*([\"']?)([^\"'\s$#]+)\1[ \t]*(?:#.*)?$",
    re.IGNORECASE | re.MULTILINE,
)


def published_secrets() -> set[str]:
    """Every non-empty value the tracked files give a signing secret."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found: set[str] = set()
    for name in tracked:
        path = ROOT / name
        if not path.is_file() or path.suffix in {".png", ".ico", ".wav", ".ogg", ".opus"}:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found |= {value for value in _DEFAULT.findall(text) if value}
        found |= {value for _, value in _LITERAL.findall(text) if value}
    return found


def test_the_scan_finds_the_secrets_the_repository_publishes() -> None:
    found = published_secrets()
    assert "my-secret-key-change-in-production" in found  # .env.example, app/config.py
    assert "test-secret-0123456789abcdef-0123456789" in found  # the tests' TEST_JWT_SECRET


@pytest.mark.parametrize("secret", sorted(published_secrets()))
def test_production_refuses_a_secret_the_repository_publishes(secret: str) -> None:
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        Settings.from_env({**PRODUCTION, "JWT_SECRET": secret}, dotenv=False)
    turn = {"TURN_SECRET": secret, "TURN_URLS": "turn:turn.voxhub.example.com:3478"}
    strong = {"JWT_SECRET": "9f1c2e7a4b8d03f6a5e1c9b7d2f48a0e6c3b5d7f9a1e2c4b"}
    with pytest.raises(ConfigError, match="TURN_SECRET"):
        Settings.from_env({**PRODUCTION, **strong, **turn}, dotenv=False)


@pytest.mark.parametrize(
    "secret",
    [
        "x" * 64,  # long but one character
        "abababababababababababababababab",  # two characters
        "0123456789abcdef",  # random-looking but short
        "2b7e151628aed2a6abf7158809cf4f3",  # 31 hex characters
    ],
)
def test_production_refuses_short_or_repetitive_secrets(secret: str) -> None:
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        Settings.from_env({**PRODUCTION, "JWT_SECRET": secret}, dotenv=False)


@pytest.mark.parametrize(
    "secret",
    [
        "9f1c2e7a4b8d03f6a5e1c9b7d2f48a0e6c3b5d7f9a1e2c4b",  # openssl rand -hex 24
        "q3JtYw8Zk1N0vR5mXc2LpH7sD9fGbA4eUo6iKy+T/wE=",  # openssl rand -base64 32
    ],
)
def test_production_accepts_a_generated_secret(secret: str) -> None:
    settings = Settings.from_env({**PRODUCTION, "JWT_SECRET": secret}, dotenv=False)
    assert settings.jwt_secret == secret


def test_outside_production_the_development_defaults_still_start() -> None:
    assert Settings.from_env({}, dotenv=False).jwt_secret == "my-secret-key-change-in-production"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_no_jwt_secret_of_its_own() -> None:
    """`${JWT_SECRET:?...}`: compose itself refuses to start without one, production or not."""
    environment = _compose()["x-voxhub-env"]
    assert re.fullmatch(r"\$\{JWT_SECRET:\?[^}]+\}", environment["JWT_SECRET"])


@pytest.mark.parametrize("service", ["prometheus", "grafana"])
def test_compose_publishes_the_dashboards_on_loopback_only(service: str) -> None:
    ports = _compose()["services"][service]["ports"]
    assert ports and all(str(port).startswith("127.0.0.1:") for port in ports)
