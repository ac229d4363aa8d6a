"""Argon2 off the event loop, and bounded: what keeps sign-ups from stalling a worker's sockets."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.auth import passwords
from app.auth.passwords import PasswordWork
from app.errors import DomainError


async def test_hashing_and_verifying_run_off_the_loop_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[int] = []
    real_hash = passwords.hash_password

    def recording_hash(password: str) -> str:
        threads.append(threading.get_ident())
        return real_hash(password)

    monkeypatch.setattr(passwords, "hash_password", recording_hash)
    work = PasswordWork(threads=2)
    try:
        stored = await work.hash("correct horse")
        assert await work.verify(stored, "correct horse")
        assert not await work.verify(stored, "a wrong guess")
        assert not await work.verify(None, "correct horse")  # unknown user: dummy hash
    finally:
        work.close()
    assert threads and threading.get_ident() not in threads


async def test_the_loop_keeps_running_while_passwords_hash() -> None:
    work = PasswordWork(threads=2)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    try:
        await asyncio.gather(*(work.hash(f"password {n}") for n in range(4)))
    finally:
        ticker.cancel()
        work.close()
    # On the loop, four hashes would run back to back with the ticker starved (a few ticks);
    # off the loop, it runs thousands of times meanwhile.
    assert ticks > 100


async def test_more_work_than_the_bound_is_a_quick_503(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()

    def held_hash(password: str) -> str:
        gate.wait(10)
        return f"hashed {password}"

    monkeypatch.setattr(passwords, "hash_password", held_hash)
    work = PasswordWork(threads=1, max_waiting=2)
    try:
        # One hash running and two waiting fill the bound; the fourth is refused at once.
        admitted = [asyncio.create_task(work.hash(str(n))) for n in range(3)]
        await asyncio.sleep(0.05)
        with pytest.raises(DomainError) as refused:
            await work.hash("one too many")
        assert refused.value.status == 503
        assert refused.value.headers == {"Retry-After": "1"}
        gate.set()
        assert await asyncio.gather(*admitted) == ["hashed 0", "hashed 1", "hashed 2"]
        assert await work.hash("after") == "hashed after"  # the bound frees up again
    finally:
        gate.set()
        work.close()
