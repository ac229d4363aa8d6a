import subprocess

import pytest

from app.config import ConfigError, Settings, parse_duration
from tests.fixtures.voxhub_server import VOXHUB, base_env


@pytest.mark.parametrize(
    ("raw", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("250ms", 0.25), ("45", 45)]
)
def test_durations_accept_the_seed_forms(raw: str, seconds: float) -> None:
    assert parse_duration(raw) == seconds


def test_defaults_match_the_seeds() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8080
    assert settings.redis_url == "memory://"
    assert settings.database_url.startswith("sqlite:///./var/")
    assert settings.default_token_balance == 1000
    assert settings.min_token_threshold == 2000
    assert settings.heartbeat_interval == 30
    assert settings.connection_timeout == 60
    assert settings.rate_limit_per_minute == 60
    assert settings.recordings_dir == "./var/conversations"


def test_timeouts_map_onto_sanic(tmp_path) -> None:
    from sanic import Sanic

    from app.factory import _configure  # the mapping itself, without starting a server

    Sanic.test_mode = True
    app = Sanic("config_mapping")
    settings = Settings.from_env(
        {
            "READ_TIMEOUT": "7s",
            "WRITE_TIMEOUT": "8s",
            "IDLE_TIMEOUT": "2m",
            "WS_MAX_MESSAGE_BYTES": "1024",
        }
    )
    _configure(app, settings)
    assert app.config.REQUEST_TIMEOUT == 7
    assert app.config.RESPONSE_TIMEOUT == 8
    assert app.config.KEEP_ALIVE_TIMEOUT == 120
    assert app.config.WEBSOCKET_MAX_SIZE == 1024


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"HEARTBEAT_INTERVAL": "soon"}, "HEARTBEAT_INTERVAL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"WORKERS": "0"}, "WORKERS"),
        ({"MEDIA_UDP_PORTS": "9-3"}, "MEDIA_UDP_PORTS"),
        ({"ENVIRONMENT": "production", "ALLOWED_ORIGINS": "https://a.example"}, "JWT_SECRET"),
        (
            {"ENVIRONMENT": "production", "JWT_SECRET": "9f1c2e7a4b8d03f6a5e1c9b7d2f48a0e6c"},
            "ALLOWED_ORIGINS",
        ),
        ({"WORKERS": "2"}, "WORKERS"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ],
)
def test_bad_values_name_the_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(environ)


def test_dotenv_file_is_read_and_environment_wins(tmp_path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("PORT=9001\nLOG_LEVEL=debug\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = Settings.from_env()
    assert settings.port == 9001
    assert settings.log_level == "warning"


def test_cli_refuses_bad_config_with_one_line(tmp_path) -> None:
    done = subprocess.run(
        [VOXHUB, "serve"],
        env=base_env(CLEANUP_INTERVAL="often"),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "CLEANUP_INTERVAL" in lines[0]
