"""`/health` is a superset of the seeds' shapes; `/health/live` checks only the process.

Readiness (`/health`) names the failing dependency with a 503 so that a load balancer stops
sending traffic to a worker that cannot reach PostgreSQL or Redis; liveness never touches them,
so a database outage does not make Kubernetes restart healthy pods.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.db.tables.base import isoformat, utcnow
from app.http.bodies import Body, document, respond
from app.media.service import MediaService
from app.services import Services, services_of

bp = Blueprint("health")


class Checks(Body):
    database: str
    redis: str


class HealthBody(Body):
    """Readiness: `ok`, or `unavailable` with the failing checks named (503)."""

    status: str
    time: str
    timestamp: str
    active_conversations: int
    uptime_seconds: float
    checks: Checks


class UnhealthyBody(HealthBody):
    error: str


class LiveBody(Body):
    status: str
    worker: str


async def _active_conversations(services: Services) -> int:
    try:
        return await services.get(MediaService).active_conversations()
    except Exception:
        return 0


async def _health(request: Request) -> HTTPResponse:
    services = services_of(request.app)
    ready = await services.readiness()
    checks = Checks(**ready.checks)
    conversations = await _active_conversations(services) if checks.redis == "ok" else 0
    iso = isoformat(utcnow())
    fields: dict[str, Any] = {
        "status": "ok" if not ready.failing else "unavailable",
        "time": iso,
        "timestamp": iso,
        "active_conversations": conversations,
        "uptime_seconds": ready.uptime_seconds,
        "checks": checks,
    }
    if ready.failing:
        return respond(UnhealthyBody(**fields, error=ready.error), status=503)
    return respond(HealthBody(**fields))


@bp.get("/health")
@document(
    "Readiness: database, Redis and live media calls",
    responses={200: HealthBody, 503: UnhealthyBody},
    public=True,
)
async def health(request: Request) -> HTTPResponse:
    return await _health(request)


@bp.get("/health/live")
@document(
    "Liveness: the process answers (no dependency checked)",
    responses={200: LiveBody},
    public=True,
)
async def live(request: Request) -> HTTPResponse:
    return respond(LiveBody(status="ok", worker=services_of(request.app).worker_id))
