"""Seed 004's one REST body: the random chat's numbers."""

from __future__ import annotations

from app.http.bodies import Body


class Stats(Body):
    waiting_users: int
    active_users: int
    active_rooms: int
    users_in_rooms: int
    # The seed names the start time "server_uptime"; the duration is uptime_seconds.
    server_uptime: str
    uptime_seconds: float
    workers: int
    worker_connections: int
