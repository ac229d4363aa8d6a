"""`/health` is a superset of the seeds' shapes; `/health/live` checks only the process.

Readiness (`/health`) answers 503 when the worker cannot reach Redis, so that a load balancer
stops sending it traffic: every socket, random chat and signaling need Redis, and another
worker may still reach it. PostgreSQL down is reported (`status: degraded`, the failing check
named in `error`) but answered 200: PostgreSQL is shared by every worker, so taking them all
out of rotation helps no one and took the Redis-only parts (the random chat, roulette
watchers, `/stats`) down with it. Liveness never touches either, so an outage does not make
Kubernetes restart healthy pods.
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
    """Readiness: `ok`; `degraded` (200) with `error` naming the database when only it is
    down; `unavailable` (503) when Redis is."""

    status: str
    time: str
    timestamp: str
    active_conversations: int
    uptime_seconds: float
    checks: Checks
    error: str | None = None


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
        "time": iso,
        "timestamp": iso,
        "active_conversations": conversations,
        "uptime_seconds": ready.uptime_seconds,
        "checks": checks,
    }
    if checks.redis != "ok":
        return respond(UnhealthyBody(**fields, status="unavailable", error=ready.error), status=503)
    if ready.failing:
        return respond(HealthBody(**fields, status="degraded", error=ready.error))
    return respond(HealthBody(**fields, status="ok"))


@bp.get("/health")
@document(
    "Readiness: Redis (503 without it), the database (`degraded` without it) and live media calls",
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
