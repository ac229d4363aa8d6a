"""Password hashing with Argon2id (argon2-cffi), the OWASP-recommended default.

`verify` always spends the same work, also for an unknown user (against a fixed dummy hash),
so response time does not tell an attacker which usernames exist. Request handlers use
`PasswordWork`, which keeps that work off the event loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import DomainError

T = TypeVar("T")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("voxhub-dummy-password-for-unknown-users")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True after the hasher's parameters were raised: rehash on the next good login."""
    return _hasher.check_needs_rehash(password_hash)


class PasswordWork:
    """Argon2 in a small thread pool, bounded.

    One hash costs tens of milliseconds of CPU: run on the event loop, each log-in or sign-up
    stalls every socket of the worker for that long. argon2-cffi releases the GIL inside its C
    call, so a few threads hash while the loop goes on serving. The work admitted at once is
    bounded: past `max_waiting` queued calls a flood of log-ins gets a quick 503 with
    Retry-After instead of an ever longer queue holding every request's memory.
    """

    def __init__(self, threads: int | None = None, max_waiting: int = 64) -> None:
        threads = threads or min(4, os.cpu_count() or 1)
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="argon2")
        self._capacity = threads + max_waiting
        self._admitted = 0

    async def _run(self, work: Callable[..., T], *args: str | None) -> T:
        if self._admitted >= self._capacity:
            raise DomainError(
                503, "too many password checks at once; retry", headers={"Retry-After": "1"}
            )
        self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            self._admitted -= 1

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self._run(verify_password, password_hash, password)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
