"""Server-metered OpenAI Realtime calls: holds from the balance, charges from the sideband.

API workers start, read and end calls (`app/accounts/routes/realtime_calls.py`); sideband
workers (`voxhub realtime-worker`, or `voxhub serve` itself with `REDIS_URL=memory://`) hold
each live call's sideband under a Redis lease and charge every `response.done` against the
call's hold. API workers of a cluster also sweep orphans, so no call outlives its sideband by
more than REALTIME_REATTACH_TIMEOUT even when no sideband worker is left.
"""

from __future__ import annotations

from sanic import Sanic

from app.accounts.calls.leases import CallLeases
from app.accounts.calls.service import RealtimeCalls, lease_ttl
from app.accounts.calls.sideband import SidebandEngine
from app.accounts.service import Accounts
from app.services import Services

__all__ = ["RealtimeCalls", "SidebandEngine", "register"]


def register(app: Sanic, services: Services, accounts: Accounts) -> None:
    settings = services.settings
    leases = CallLeases(services.redis, services.worker_id, lease_ttl(settings))

    async def publish(user_id: int, frame: dict[str, object]) -> None:
        await services.gateway.send_to_users([str(user_id)], frame)

    calls = services.add(RealtimeCalls(settings, services.db, leases, None, publish))
    running: list[SidebandEngine] = []

    async def start(_: Sanic) -> None:
        # The accounts service opened the worker's OpenAI client in its own start listener.
        calls.client = accounts.openai_realtime
        if calls.client is None:
            return
        engine = SidebandEngine(calls, attach=settings.embedded)
        running.append(engine)
        await engine.start()

    async def stop(_: Sanic) -> None:
        while running:
            await running.pop().stop()

    app.register_listener(start, "before_server_start")
    app.register_listener(stop, "before_server_stop")
