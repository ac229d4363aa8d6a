"""Who is online, and which worker holds them, as TTL keys in Redis.

Every worker refreshes, once per heartbeat and in one pipeline, a presence key per local user
(value: its worker id), its own alive key and the set of its users. Nothing is ever trusted
without a TTL: a worker killed with SIGKILL simply stops refreshing, its alive key expires, and
the janitor (`app/ws/janitor.py`) then cleans up after its users.
"""

from __future__ import annotations

from collections.abc import Iterable

from redis.asyncio import Redis

from app.bus.batches import Batches
from app.config import Settings

PRESENCE_PREFIX = "voxhub:presence:"
WORKERS_KEY = "voxhub:ws:workers"
JANITOR_LOCK_KEY = "voxhub:ws:janitor"

_SADD_CHUNK = 1000

# Delete a presence key only if this worker still owns it: the same user may have moved on
# to a socket on another worker, whose claim must survive this socket closing.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def presence_key(user_id: str) -> str:
    return PRESENCE_PREFIX + user_id


def alive_key(worker_id: str) -> str:
    return f"voxhub:ws:worker:{worker_id}:alive"


def users_key(worker_id: str) -> str:
    return f"voxhub:ws:worker:{worker_id}:users"


def presence_ttl_ms(settings: Settings) -> int:
    return int(settings.connection_timeout * 1000)


async def mark_offline(redis: Redis, worker_id: str, user_id: str) -> None:
    """For the janitor, on behalf of a dead worker (a live worker uses its PresenceWriter)."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.srem(users_key(worker_id), user_id)
        pipe.eval(_RELEASE, 1, presence_key(user_id), worker_id)
        await pipe.execute()


async def refresh(redis: Redis, worker_id: str, user_ids: Iterable[str], ttl_ms: int) -> None:
    """One round trip for the whole worker; re-adds the sets too, which heals a Redis restart."""
    users = list(user_ids)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(alive_key(worker_id), "1", px=ttl_ms)
        pipe.sadd(WORKERS_KEY, worker_id)
        for start in range(0, len(users), _SADD_CHUNK):
            pipe.sadd(users_key(worker_id), *users[start : start + _SADD_CHUNK])
        for user_id in users:
            pipe.set(presence_key(user_id), worker_id, px=ttl_ms)
        await pipe.execute()


async def forget_worker(redis: Redis, worker_id: str) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.delete(alive_key(worker_id), users_key(worker_id))
        pipe.srem(WORKERS_KEY, worker_id)
        await pipe.execute()


async def live_workers(redis: Redis) -> list[str]:
    workers = texts(await redis.smembers(WORKERS_KEY))
    return [w for w in sorted(workers) if await redis.exists(alive_key(w))]


def texts(values: Iterable[bytes | str]) -> list[str]:
    """Members of a Redis set as text: Voxhub's clients decode replies already, but
    redis-py's types cannot say so."""
    return [value if isinstance(value, str) else value.decode() for value in values]


class PresenceWriter:
    """A worker's online/offline marks, written together: one pipeline per batch
    (`Batches`), so a storm of sockets arriving or leaving at once costs a few round trips
    instead of one per socket. Marks of one user keep their order."""

    def __init__(self, redis: Redis, worker_id: str, ttl_ms: int) -> None:
        self.redis = redis
        self.worker_id = worker_id
        self.ttl_ms = ttl_ms
        self._marks: Batches[tuple[bool, str]] = Batches(self._write)

    async def online(self, user_id: str) -> None:
        await self._marks.put((True, user_id))

    async def offline(self, user_id: str) -> None:
        await self._marks.put((False, user_id))

    async def _write(self, marks: list[tuple[bool, str]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            if any(online for online, _ in marks):
                pipe.set(alive_key(self.worker_id), "1", px=self.ttl_ms)
                pipe.sadd(WORKERS_KEY, self.worker_id)
            for online, user_id in marks:
                if online:
                    pipe.set(presence_key(user_id), self.worker_id, px=self.ttl_ms)
                    pipe.sadd(users_key(self.worker_id), user_id)
                else:
                    pipe.srem(users_key(self.worker_id), user_id)
                    pipe.eval(_RELEASE, 1, presence_key(user_id), self.worker_id)
            await pipe.execute()
