"""Races for one balance: the database decides, the balance never goes negative."""

import asyncio
import time
from collections import Counter

import httpx

from tests.accounts.client import Api, usage

LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=200)


async def _spend_concurrently(
    api: Api, count: int, body: dict, headers: dict[str, str]
) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=api.url, limits=LIMITS, timeout=60) as client:
        return await asyncio.gather(
            *(client.patch("/api/tokens", json=body, headers=headers) for _ in range(count))
        )


async def test_200_concurrent_spends_of_10_on_1000_over_postgres(pg_api: Api) -> None:
    user_id, me = pg_api.create_user(balance=1000)
    started = time.perf_counter()
    body = {"user_id": user_id, "usage": usage(10)}
    responses = await _spend_concurrently(pg_api, 200, body, me)
    elapsed = time.perf_counter() - started
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 100, 402: 100}, statuses
    spent = [r.json()["data"]["new_balance"] for r in responses if r.status_code == 200]
    assert sorted(spent) == list(range(0, 1000, 10))
    refused = [r.json() for r in responses if r.status_code == 402]
    assert all(body["error"] == "Insufficient tokens" for body in refused)
    assert all(body["success"] is False and body["balance"] >= 0 for body in refused)
    assert pg_api.balance(user_id) == 0
    ledger = pg_api.ledger(user_id)
    assert sum(e["delta"] for e in ledger) == 0
    assert sum(1 for e in ledger if e["reason"] == "spend" and e["delta"] == -10) == 100
    print(f"200 concurrent spends over PostgreSQL, 2 workers: {elapsed:.2f}s")


async def test_concurrent_replays_of_one_key_spend_once(api: Api) -> None:
    user_id, me = api.create_user(balance=1000)
    headers = {**me, "Idempotency-Key": "double-click"}
    body = {"user_id": user_id, "usage": usage(10)}
    responses = await _spend_concurrently(api, 20, body, headers)
    assert {r.status_code for r in responses} == {200}
    assert {r.json()["data"]["new_balance"] for r in responses} == {990}
    assert sum(1 for r in responses if "idempotent-replayed" not in r.headers) == 1
    assert api.balance(user_id) == 990
    assert sum(e["delta"] for e in api.ledger(user_id)) == 990


async def test_concurrent_purchases_leave_one_active_plan(pg_api: Api) -> None:
    """Each purchase cancels the active plan under the user's row lock: one stays active."""
    user_id, me = pg_api.create_user(balance=0)
    plan = pg_api.create_plan(is_active=True)
    body = {"user_id": user_id, "plan_id": plan["id"]}
    async with httpx.AsyncClient(base_url=pg_api.url, limits=LIMITS, timeout=60) as client:
        responses = await asyncio.gather(
            *(client.post("/api/user-plans", json=body, headers=pg_api.service) for _ in range(10))
        )
        listed = await client.get("/api/user-plans", headers=me)
    assert {r.status_code for r in responses} == {200}
    balances = sorted(r.json()["data"]["new_token_balance"] for r in responses)
    assert balances == [plan["token_amount"] * n for n in range(1, 11)]
    plans = listed.json()["data"]
    assert len(plans["active_plans"]) == 1 and len(plans["closed_plans"]) == 9
    assert {p["status"] for p in plans["closed_plans"]} == {"cancelled"}
