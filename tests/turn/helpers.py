"""Settings and a limiter for the credential tests that need no server."""

from __future__ import annotations

from redis.asyncio import Redis

from app.bus.ratelimit import RateLimiter
from app.config import Settings

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
