"""Seed 004's REST routes: `GET /stats` and `GET /ice-servers` (also `GET /api/ice-servers`),
all public like the seed's.

`/stats` carries only counts (no user ids) and monitoring probes have no token; it reads a
handful of Redis counters, so it is cheap to scrape. `/ice-servers` is what the React Native
client reads before it connects (the same list as the socket's `get_ice_servers`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from app.auth import Identity
from app.http.bodies import ErrorBody, document, respond
from app.http.ice_servers import IceServers, ice_servers
from app.match.metrics import observe_sizes
from app.match.schemas import Stats
from app.match.service import RandomChat
from app.services import services_of
from app.ws.presence import live_workers, users_key

bp = Blueprint("match")


@bp.get("/stats")
@document(
    "Random chat statistics over all workers (public, counts only)",
    responses={200: Stats},
    public=True,
    tag="match",
)
async def stats(request: Request) -> HTTPResponse:
    services = services_of(request.app)
    waiting, rooms, in_rooms = await services.get(RandomChat).store.sizes()
    observe_sizes(waiting, rooms)
    uptime = time.monotonic() - services.started_monotonic
    started = datetime.now(UTC) - timedelta(seconds=uptime)
    workers = await live_workers(services.redis)
    return respond(
        Stats(
            waiting_users=waiting,
            active_users=await _online_users(services.redis, workers),
            active_rooms=rooms,
            users_in_rooms=in_rooms,
            server_uptime=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
            uptime_seconds=round(uptime, 3),
            workers=len(workers),
            worker_connections=services.gateway.count,
        )
    )


async def _online_users(redis: Redis, workers: list[str]) -> int:
    """Users connected to the live workers: each worker's set of users keeps its size, so
    this is one SCARD per worker, whatever the number of users (a SUNION of those sets, to
    count a user with sockets on two workers once, read every online user on each scrape).
    A user is counted once per worker holding one of their sockets: twice only for the
    moment a reconnect overlaps the socket it replaces."""
    if not workers:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for worker in workers:
            pipe.scard(users_key(worker))
        return sum(int(size) for size in await pipe.execute())


@bp.get("/ice-servers")
@bp.get("/api/ice-servers", name="api_ice_servers")
@document(
    "ICE servers for RTCPeerConnection (public; with TURN_SECRET, a time-limited TURN "
    "credential for a caller with a token, STUN only for anonymous callers unless "
    "TURN_FOR_ANONYMOUS)",
    responses={200: IceServers, 429: ErrorBody},
    public=True,
    tag="match",
)
async def get_ice_servers(request: Request) -> HTTPResponse:
    """`/ice-servers` for seed 004's native client, `/api/ice-servers` for the web pages."""
    services = services_of(request.app)
    identity: Identity | None = getattr(request.ctx, "identity", None)
    address = request.remote_addr or request.ip
    return respond(await ice_servers(services.settings, services.limiter, identity, address))
