"""Seed 000's `GET /api/health`: the original's `{status, service}`, flat, plus Voxhub's
readiness (the same database and Redis checks as `/health`), 503 when a dependency fails."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.schemas import ApiHealth, ApiUnhealthy
from app.http.bodies import document, respond
from app.services import services_of

bp = Blueprint("accounts_health")

SERVICE_NAME = "voice-ai-backend"


@bp.get("/api/health")
@document(
    "Seed 000's health check: status and service name, with the database and Redis checks",
    responses={200: ApiHealth, 503: ApiUnhealthy},
    public=True,
    tag="accounts",
)
async def api_health(request: Request) -> HTTPResponse:
    services = services_of(request.app)
    checks = await services.readiness()
    failing = [name for name, state in checks.items() if state != "ok"]
    fields: dict[str, Any] = {
        "success": not failing,
        "status": "unavailable" if failing else "ok",
        "service": SERVICE_NAME,
        "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "uptime_seconds": round(time.monotonic() - services.started_monotonic, 3),
        "checks": checks,
    }
    if failing:
        return respond(ApiUnhealthy(**fields, error=f"{', '.join(failing)} unavailable"), 503)
    return respond(ApiHealth(**fields))
