"""The peer for `fanout-peer`: live roulette on python-socketio with AsyncRedisManager.

This is what a Python team would pick instead of Voxhub: Socket.IO rooms fanned out across
uvicorn worker processes through Redis pub/sub. It keeps a key's numbers in a Redis list (no
PostgreSQL write, less work per update than Voxhub does) and emits the same `rouletteUpdate`.
Run with `uvicorn bench.peers.socketio_roulette:app --workers 2`; BENCH_REDIS_URL names Redis.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
import socketio

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

sio = socketio.AsyncServer(
    async_mode="asgi",
    client_manager=socketio.AsyncRedisManager(REDIS_URL),
    cors_allowed_origins="*",
    transports=["websocket"],
)
app = socketio.ASGIApp(sio)
store = aioredis.from_url(REDIS_URL, decode_responses=True)


@sio.event
async def connect(sid: str, environ: dict[str, Any]) -> None:
    await sio.emit("session", {"user_id": sid, "worker": str(os.getpid())}, to=sid)


@sio.event
async def subscribe(sid: str, data: dict[str, Any]) -> None:
    await sio.enter_room(sid, str(data["key"]))


@sio.event
async def saveNumber(sid: str, data: dict[str, Any]) -> None:  # noqa: N802 (seed 003's name)
    key, number = str(data["key"]), int(data["number"])
    await sio.enter_room(sid, key)
    async with store.pipeline(transaction=True) as pipe:
        pipe.rpush(f"bench:roulette:{key}", number)
        pipe.lrange(f"bench:roulette:{key}", 0, -1)
        _, numbers = await pipe.execute()
    update = {
        "type": "rouletteUpdate",
        "key": key,
        "number": number,
        "numbers": [int(n) for n in numbers],
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }
    await sio.emit("rouletteUpdate", update, room=key)
