"""Settings and a limiter for the credential tests that need no server; TURN allocations."""

from __future__ import annotations

import asyncio

import aioice.turn
from redis.asyncio import Redis

from app.bus.ratelimit import RateLimiter
from app.config import Settings
from tests.fixtures.turn_server import TurnServer

SECRET = "s3cret-turn"
URLS = "turn:turn.example.net:3478?transport=udp,turns:turn.example.net:5349?transport=tcp"


def settings(**env: str) -> Settings:
    return Settings.from_env(env, dotenv=False)


def turn_settings(**env: str) -> Settings:
    return settings(TURN_SECRET=SECRET, TURN_URLS=URLS, **env)


def memory_limiter(config: Settings) -> RateLimiter:
    """With `memory://` (the default) the limiter keeps its counts in the process; the Redis
    client is never used, so it never connects."""
    return RateLimiter(config, Redis())


async def open_allocation(turn: TurnServer, username: str, password: str) -> asyncio.BaseTransport:
    """One TURN allocation over UDP, as aioice makes it for a peer connection; a refusal
    raises `aioice.stun.TransactionFailed` with coturn's error code in its message."""
    transport, _ = await aioice.turn.create_turn_endpoint(
        asyncio.DatagramProtocol, ("127.0.0.1", turn.port), username, password, lifetime=60
    )
    return transport


async def allocate(turn: TurnServer, username: str, password: str) -> None:
    (await open_allocation(turn, username, password)).close()
