"""The one typed object a worker process's code reaches its collaborators through.

The app factory builds it once per worker (Sanic forks its workers; nothing here crosses a
fork) and keeps it as `app.ctx.services`, the only attribute Voxhub sets on `app.ctx`. It holds
the shared plumbing, typed, and each domain's service, looked up by class so that a domain
finds its own service without this module importing any domain:

    roulette = services_of(request.app).get(Roulette)

Connections are made in `start` (before the server accepts anything) and closed in `close`
(after it stopped), so the objects exist, and their types hold, from the factory on.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from databases import Database
from redis.asyncio import Redis
from sanic import Sanic

from app.auth.revocation import Revocations
from app.bus import Hub, create_redis
from app.bus.ratelimit import RateLimiter
from app.config import Settings
from app.db import create_database, open_database
from app.observability.metrics import mark_process_dead
from app.ws.gateway import Gateway
from app.ws.registry import WsRouter

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Readiness:
    """`checks` maps each dependency to `ok` or `error: <exception>`."""

    checks: dict[str, str]
    uptime_seconds: float

    @property
    def failing(self) -> list[str]:
        return [name for name, state in self.checks.items() if state != "ok"]

    @property
    def error(self) -> str:
        """What a 503 says: the dependencies that failed."""
        return f"{', '.join(self.failing)} unavailable"


READINESS_TIMEOUT = 2.0


def new_worker_id() -> str:
    """Unique per process and per start: a restarted pid must not inherit a dead worker's keys."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(eq=False)
class Services:
    settings: Settings
    worker_id: str
    started_monotonic: float
    db: Database
    redis: Redis
    hub: Hub
    limiter: RateLimiter
    router: WsRouter
    gateway: Gateway
    revocations: Revocations
    _domains: dict[type, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        worker_id = new_worker_id()
        redis = create_redis(settings)
        hub = Hub(redis)
        limiter = RateLimiter(settings, redis)
        router = WsRouter()
        return cls(
            settings=settings,
            worker_id=worker_id,
            started_monotonic=time.monotonic(),
            db=create_database(settings),
            redis=redis,
            hub=hub,
            limiter=limiter,
            router=router,
            gateway=Gateway(settings, redis, hub, limiter, router, worker_id),
            revocations=Revocations(redis),
        )

    # -- domain services ---------------------------------------------------------------------

    def add(self, service: T, kind: type[T] | None = None) -> T:
        """Register a domain's service under its class (once per class), or under `kind`, an
        interface of the plumbing it implements for domains that may not import it (accounts'
        ledger as `app.db.charges.TokenCharges`)."""
        kind = kind or type(service)
        if kind in self._domains:
            raise ValueError(f"{kind.__name__} is already registered")
        self._domains[kind] = service
        return service

    def get(self, kind: type[T]) -> T:
        try:
            return cast(T, self._domains[kind])
        except KeyError:
            raise LookupError(f"no {kind.__name__} registered in this worker") from None

    # -- readiness ---------------------------------------------------------------------------

    async def readiness(self) -> Readiness:
        """The database and Redis checks every health route reports, so that a worker that
        cannot reach either answers 503, and how long this worker has run."""
        database, redis = await asyncio.gather(
            self._check(self.db.fetch_val("SELECT 1")), self._check(self.redis.ping())
        )
        uptime = round(time.monotonic() - self.started_monotonic, 3)
        return Readiness({"database": database, "redis": redis}, uptime)

    @staticmethod
    async def _check(probe: Awaitable[Any]) -> str:
        try:
            await asyncio.wait_for(probe, READINESS_TIMEOUT)
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            return f"error: {type(exc).__name__}"
        return "ok"

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await open_database(self.db, self.settings)
        await self.hub.start()

    async def close(self) -> None:
        await self.hub.close()
        await self.redis.aclose()
        await self.db.disconnect()
        mark_process_dead(os.getpid())


def services_of(app: Sanic) -> Services:
    """The worker's services, as the factory stored them."""
    return cast(Services, app.ctx.services)
