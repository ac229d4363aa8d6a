"""Seed 000's `GET /api/health`: the original's flat `{status, service}` plus readiness."""

from pathlib import Path

import httpx

from tests.accounts.client import Api
from tests.fixtures.voxhub_server import VoxhubServer


def test_api_health_is_public_flat_and_ready(api: Api) -> None:
    response = httpx.get(api.url + "/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert (body["status"], body["service"]) == ("ok", "voice-ai-backend")
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    assert body["time"].endswith("Z") and body["uptime_seconds"] >= 0


def test_api_health_is_503_naming_a_failing_dependency(tmp_path: Path) -> None:
    server = VoxhubServer(
        REDIS_URL="redis://127.0.0.1:1/0", DATABASE_URL=f"sqlite:///{tmp_path}/d.db"
    )
    server.start()
    try:
        response = httpx.get(server.url + "/api/health", timeout=10)
        assert response.status_code == 503
        body = response.json()
        assert body["success"] is False and body["status"] == "unavailable"
        assert body["service"] == "voice-ai-backend"
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["redis"].startswith("error")
        assert body["error"] == "redis unavailable"
    finally:
        server.stop()
