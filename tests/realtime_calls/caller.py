"""A caller as a browser is one: an aiortc peer that posts its offer to Voxhub, connects to the
answering peer (the fake OpenAI's) and hears it; plus ledger arithmetic for the assertions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.accounts.client import Api
from tests.fixtures.fake_realtime import TONE_HZ
from tests.media.peers import ClientPeer, SineTrack, mono_samples, tone_ratio
from tests.ws.client import WsClient

CALLS = "/api/realtime/calls"


class Caller:
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers
        self.peer = ClientPeer(SineTrack(440.0, seconds=30))
        self.call_id: int | None = None

    async def call(self, *, accept: bool = True) -> httpx.Response:
        """Post the offer as `application/sdp`; on 201, accept the answer (unless not to)."""
        offer = await self.peer.offer()
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                self.url + CALLS,
                content=offer,
                headers={**self.headers, "Content-Type": "application/sdp"},
            )
        if response.status_code == 201:
            self.call_id = int(response.headers["X-Call-Id"])
            if accept:
                await self.peer.accept(response.text)
        return response

    async def hears_tone(self, seconds: float = 1.0) -> float:
        """How clearly the assistant's tone arrives: its power over other frequencies'."""
        deadline = time.monotonic() + 20
        while len(self.peer.echoed) < seconds * 50:
            assert time.monotonic() < deadline, "no audio from the assistant's peer"
            await asyncio.sleep(0.05)
        return tone_ratio(mono_samples(self.peer.echoed[-int(seconds * 50) :]), TONE_HZ)

    async def state(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{self.url}{CALLS}/{self.call_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def hang_up(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.delete(
                f"{self.url}{CALLS}/{self.call_id}", headers=self.headers
            )
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def until_ended(self, limit: float) -> dict[str, Any]:
        """The call's state once it has ended (by itself: balance, orphan, OpenAI)."""

        async def ended() -> dict[str, Any] | None:
            state = await self.state()
            return state if state["state"] == "ended" else None

        return await until(ended, limit, "the call to end")

    async def close(self) -> None:
        await self.peer.close()


async def refused_call(url: str, headers: dict[str, str]) -> httpx.Response:
    """A call attempt expected to fail: the answer, with the caller's peer closed."""
    caller = Caller(url, headers)
    try:
        return await caller.call()
    finally:
        await caller.close()


async def until(check: Callable[[], Any], limit: float, what: str) -> Any:
    """Poll an async `check` until it returns something truthy."""
    deadline = time.monotonic() + limit
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def call_rows(ledger: list[dict[str, Any]], call_id: int) -> list[dict[str, Any]]:
    """The ledger rows of one call, oldest first."""
    rows = [
        row
        for row in ledger
        if row["reason"].startswith("realtime_")
        and (row["details"] or {}).get("call_id") == call_id
    ]
    return sorted(rows, key=lambda row: row["id"])


def assert_settled(ledger: list[dict[str, Any]], call_id: int, charged: int) -> None:
    """Holds minus release is exactly what was charged, each response charged once, and the
    balance after every row is never negative."""
    rows = call_rows(ledger, call_id)
    charges = [row for row in rows if row["reason"] == "realtime_charge"]
    assert sum(row["details"]["tokens_used"] for row in charges) == charged
    responses = [row["details"]["response_id"] for row in charges]
    assert len(responses) == len(set(responses))
    assert -sum(row["delta"] for row in rows) == charged - sum(
        row["details"]["uncovered"] for row in charges
    )
    assert all(row["balance_after"] >= 0 for row in rows)


async def settled(api: Api, user_id: int, caller: Caller) -> tuple[dict[str, Any], list[Any]]:
    """The ended call and its user's ledger once they agree: a response already on its way
    when the call was hung up is still charged (it happened), just after the hang-up."""

    async def agree() -> tuple[dict[str, Any], list[Any]] | None:
        state = await caller.state()
        ledger = await asyncio.to_thread(api.ledger, user_id)
        charges = [
            row for row in call_rows(ledger, state["call_id"]) if row["reason"] == "realtime_charge"
        ]
        total = sum(row["details"]["tokens_used"] for row in charges)
        if state["state"] == "ended" and total == state["charged"]:
            return state, ledger
        return None

    return await until(agree, 15, "the call's ledger to settle")


async def heard(socket: WsClient, responses: int) -> list[dict[str, Any]]:
    """The caller's `realtime.*` frames until the end and one `realtime.usage` per charged
    response have arrived (a late charge's frame may follow the end)."""
    frames: list[dict[str, Any]] = []

    def complete() -> bool:
        kinds = [frame["type"] for frame in frames]
        return "realtime.ended" in kinds and kinds.count("realtime.usage") == responses

    while not complete():
        frames.append(await socket.next(timeout=15))
    return frames
