"""`/health` is a superset of the seeds' shapes; `/health/live` checks only the process.

Readiness (`/health`) names the failing dependency with a 503 so that a load balancer stops
sending traffic to a worker that cannot reach PostgreSQL or Redis; liveness never touches them,
so a database outage does not make Kubernetes restart healthy pods.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sanic_ext import openapi

from app.media.registry import active_conversations

bp = Blueprint("health")

CHECK_TIMEOUT = 2.0


async def _check_database(request: Request) -> None:
    await request.app.ctx.db.fetch_val("SELECT 1")


async def _check_redis(request: Request) -> None:
    await request.app.ctx.redis.ping()


async def _run_check(check, request: Request) -> str:
    try:
        await asyncio.wait_for(check(request), CHECK_TIMEOUT)
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        return f"error: {type(exc).__name__}"
    return "ok"


def _now() -> tuple[str, int]:
    now = datetime.now(UTC)
    return now.isoformat().replace("+00:00", "Z"), int(now.timestamp())


HEALTH = [
    openapi.definitions.Response(
        {
            "application/json": {
                "status": str,
                "time": str,
                "timestamp": str,
                "active_conversations": int,
                "uptime_seconds": float,
                "checks": {"database": str, "redis": str},
            }
        },
        status=200,
    ),
    openapi.definitions.Response({"application/json": {"error": str}}, status=503),
]


@bp.get("/health")
@openapi.definition(
    summary="Readiness: database, Redis and live media calls",
    response=HEALTH,
)
async def health(request: Request) -> HTTPResponse:
    database, redis = await asyncio.gather(
        _run_check(_check_database, request), _run_check(_check_redis, request)
    )
    checks = {"database": database, "redis": redis}
    try:
        conversations = await active_conversations(request.app.ctx.redis) if redis == "ok" else 0
    except Exception:
        conversations = 0
    failing = [name for name, state in checks.items() if state != "ok"]
    iso, _ = _now()
    body = {
        "status": "ok" if not failing else "unavailable",
        "time": iso,
        "timestamp": iso,
        "active_conversations": conversations,
        "uptime_seconds": round(time.monotonic() - request.app.ctx.started_monotonic, 3),
        "checks": checks,
    }
    if failing:
        body["error"] = f"{', '.join(failing)} unavailable"
    return json(body, status=503 if failing else 200)


@bp.get("/health/live")
@openapi.definition(
    summary="Liveness: the process answers (no dependency checked)",
    response=openapi.definitions.Response(
        {"application/json": {"status": str, "worker": str}}, status=200
    ),
)
async def live(request: Request) -> HTTPResponse:
    return json({"status": "ok", "worker": request.app.ctx.worker_id})


@bp.get("/api/health")
@openapi.definition(summary="Seed 000 health check (same checks as /health)", response=HEALTH)
async def api_health(request: Request) -> HTTPResponse:
    return await health(request)
