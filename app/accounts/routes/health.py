"""Seed 000's `GET /api/health`: the original's `{status, service}`, flat, plus Voxhub's
readiness (the same database and Redis checks as `/health`), 503 when a dependency fails."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.accounts.schemas import ApiHealth, ApiUnhealthy
from app.db.tables.base import isoformat, utcnow
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
    ready = await services_of(request.app).readiness()
    fields: dict[str, Any] = {
        "success": not ready.failing,
        "status": "unavailable" if ready.failing else "ok",
        "service": SERVICE_NAME,
        "time": isoformat(utcnow()),
        "uptime_seconds": ready.uptime_seconds,
        "checks": ready.checks,
    }
    if ready.failing:
        return respond(ApiUnhealthy(**fields, error=ready.error), 503)
    return respond(ApiHealth(**fields))
