"""Every series the Grafana dashboard and the prometheus-adapter rule query is real.

Statically, they query only the metric contract (`metric_contract.CONTRACT`) and cover all of
it. Live, the compose topology (nginx, two API processes, an AI worker and a media worker, real
Redis and PostgreSQL) gets some traffic of every kind, and then each queried series must have
samples in what Prometheus would scrape: the APIs' `/metrics` and the workers' METRICS_PORT.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from tests.accounts.client import Api, bearer
from tests.deploy.conftest import DeployStack
from tests.deploy.metric_contract import (
    CONTRACT,
    COUNTER,
    GAUGE,
    HISTOGRAM,
    exposed_series,
    metric_of,
    queried_series,
)
from tests.deploy.worker_process import WorkerProcess
from tests.media.peers import ClientPeer, SineTrack
from tests.messenger.helpers import create_chat, frame_of, register
from tests.ws.client import WsClient


def test_tools_query_only_the_metric_contract() -> None:
    for series in queried_series():
        metric = metric_of(series)
        assert metric in CONTRACT, f"{series} is not a Voxhub metric name"
        if CONTRACT[metric] == HISTOGRAM:
            assert series != metric, f"query {metric} through _bucket, _sum or _count"
        if CONTRACT[metric] == COUNTER:
            assert series.endswith("_total")


def test_dashboard_covers_the_whole_contract() -> None:
    assert {metric_of(series) for series in queried_series()} == set(CONTRACT)


def test_the_hpa_metric_is_a_gauge() -> None:
    assert CONTRACT["voxhub_ws_connections"] == GAUGE
    assert "voxhub_ws_connections" in queried_series()


@pytest.fixture(scope="module")
def workers(deploy_stack: DeployStack) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    try:
        for command, extra in (
            ("ai-worker", {}),
            ("media-worker", {"MEDIA_HOST_ADDRESSES": "127.0.0.1", "MEDIA_MAX_CALLS": "4"}),
        ):
            worker = WorkerProcess(command, **deploy_stack.env, **extra)
            worker.start()
            started.append(worker)
        yield started
    finally:
        for worker in started:
            worker.stop()


async def accounts_traffic(stack: DeployStack, http: httpx.AsyncClient) -> None:
    """Auth failures, tokens credited and spent, a Realtime token minted."""
    forged = await http.get("/api/auth/me", headers=bearer("not.a.jwt"))
    assert forged.status_code == 401
    api = Api(stack.apis[0])
    user_id, headers = await asyncio.to_thread(api.create_user, 500)
    spent = await http.patch(
        "/api/tokens",
        json={"user_id": user_id, "usage": {"total_tokens": 10}},
        headers=api.service,
    )
    assert spent.status_code == 200, spent.text
    minted = await http.get("/api/token", params={"user_id": user_id}, headers=headers)
    assert minted.status_code == 200, minted.text


async def chat_traffic(stack: DeployStack, http: httpx.AsyncClient) -> None:
    """A chat message over /ws answered by the AI worker with advice to the other member."""
    alice, bob = await register(http), await register(http)
    chat = await create_chat(http, alice, bob)
    mode = await http.put(
        f"/api/chats/{chat['id']}/ai", json={"mode": "advice"}, headers=bob.headers
    )
    assert mode.status_code == 200, mode.text
    a = await WsClient.connect(stack.nginx.ws_url, alice.token)
    b = await WsClient.connect(stack.nginx.ws_url, bob.token)
    try:
        message = {"chat_id": chat["id"], "text": "hi", "client_msg_id": "deploy-1"}
        await a.send({"type": "chat.send", "payload": message})
        await frame_of(b, "ai.advice", 30)
    finally:
        await a.close()
        await b.close()


async def match_traffic(stack: DeployStack, http: httpx.AsyncClient) -> None:
    """Two anonymous sockets matched through nginx, one signaling message relayed."""
    a = await WsClient.connect(stack.nginx.ws_url)
    b = await WsClient.connect(stack.nginx.ws_url)
    try:
        await a.send({"type": "find_match"})
        await b.send({"type": "find_match"})
        found = (await frame_of(a, "match_found", 10))["payload"]
        await frame_of(b, "match_found", 10)
        sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
        await a.send({"type": "offer", "payload": {"sdp": sdp}, "to": found["partner_id"]})
        await frame_of(b, "offer", 10)
    finally:
        await a.close()
        await b.close()


async def roulette_traffic(stack: DeployStack, http: httpx.AsyncClient) -> None:
    a = await WsClient.connect(stack.nginx.ws_url)
    try:
        await a.send({"type": "saveNumber", "key": "deploy-metrics", "number": 7})
        await frame_of(a, "numberSaved", 10)  # saveNumber is seed 003 dialect A: its own frame
    finally:
        await a.close()


async def media_traffic(stack: DeployStack, http: httpx.AsyncClient) -> None:
    """One WebRTC call with a second of tone, then hang up."""
    client = ClientPeer(SineTrack(seconds=1.0))
    try:
        offer = await client.offer()
        answer = await http.post(
            "/webrtc", content=offer, headers={"Content-Type": "application/sdp"}
        )
        assert answer.status_code == 201, answer.text
        await client.accept(answer.text)
        await client.wait_sent()
        hangup = await http.delete(answer.headers["Location"])
        assert hangup.status_code == 204, hangup.text
    finally:
        await client.close()


TRAFFIC: list[Callable[[DeployStack, httpx.AsyncClient], Awaitable[None]]] = [
    accounts_traffic,
    chat_traffic,
    match_traffic,
    roulette_traffic,
    media_traffic,
]


async def test_every_queried_series_is_in_voxhub_metrics_after_traffic(
    deploy_stack: DeployStack, workers: list[WorkerProcess]
) -> None:
    failures: list[str] = []
    async with httpx.AsyncClient(base_url=deploy_stack.nginx.url, timeout=30) as http:
        for traffic in TRAFFIC:
            try:
                await traffic(deploy_stack, http)
            except Exception as exc:  # each kind of traffic is reported, the check goes on
                failures.append(f"{traffic.__name__}: {type(exc).__name__}: {exc}")
    await asyncio.sleep(1)  # gauges sampled periodically (queue length, lag) catch up
    exposed: set[str] = set()
    async with httpx.AsyncClient(timeout=10) as http:
        for api in deploy_stack.apis:
            exposed |= exposed_series((await http.get(api.url + "/metrics")).text)
    for worker in workers:
        exposed |= exposed_series(worker.metrics())
    missing = sorted(queried_series() - exposed)
    assert not missing, f"queried but not exposed: {missing}; traffic failures: {failures}"
