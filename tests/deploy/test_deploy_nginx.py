"""deploy/nginx.conf on Debian's nginx: accepted by `nginx -t`, and in front of two real
`voxhub serve` processes it balances HTTP and WebSockets while matches, signaling and roulette
updates still cross between the upstreams through Redis (issue 4's message contract).
"""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.deploy.conftest import DeployStack
from tests.deploy.nginx import NginxServer
from tests.fixtures.ports import free_port
from tests.ws.client import WsClient


def test_nginx_t_accepts_the_shipped_config() -> None:
    nginx = NginxServer([free_port(), free_port()])
    try:
        done = nginx.check()
    finally:
        nginx.stop()
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr


def test_http_is_balanced_over_both_upstreams(deploy_stack: DeployStack) -> None:
    workers = set()
    with httpx.Client(base_url=deploy_stack.nginx.url, timeout=5) as http:
        for _ in range(10):
            response = http.get("/health/live", headers={"X-Request-ID": "deploy-check-1"})
            assert response.status_code == 200
            assert response.headers["X-Request-ID"] == "deploy-check-1"
            workers.add(response.json()["worker"])
    assert len(workers) == 2, workers


def test_nginx_answers_its_own_errors_in_json(deploy_stack: DeployStack) -> None:
    with httpx.Client(base_url=deploy_stack.nginx.url, timeout=10) as http:
        for path in ("/metrics", "/metrics/", "/metrics?format=text"):
            hidden = http.get(path)
            assert hidden.status_code == 403 and hidden.json() == {"error": "forbidden"}, path
        too_large = http.post("/api/chats", content=b"x" * (1024 * 1024 + 1))
        assert too_large.status_code == 413
        assert too_large.json() == {"error": "request body too large"}
        # The limit is the API's: a body just under it reaches the API (which answers 401).
        under = http.post("/api/chats", content=b"{}", headers={"Content-Type": "application/json"})
        assert under.status_code == 401 and "error" in under.json()


async def _match(first: WsClient, second: WsClient) -> tuple[dict, dict]:
    await first.send({"type": "find_match"})
    await first.expect("waiting")
    await second.send({"type": "find_match"})
    found_first = (await first.expect("match_found", 10))["payload"]
    found_second = (await second.expect("match_found", 10))["payload"]
    return found_first, found_second


async def _relay(sender: WsClient, receiver: WsClient, kind: str, payload: dict) -> None:
    await sender.send({"type": kind, "payload": payload, "to": receiver.user_id})
    frame = await receiver.expect(kind, 10)
    assert frame["from"] == sender.user_id and frame["payload"] == payload


async def _roulette_reaches(watcher: WsClient, writer: WsClient, key: str) -> None:
    """The watcher subscribes, the writer saves until the watcher sees its update: subscribing
    is asynchronous on the watcher's upstream, so the first number may be published first."""
    await watcher.send({"type": "subscribe", "key": key})
    async with asyncio.timeout(15):
        for number in range(37):
            await writer.send({"type": "saveNumber", "key": key, "number": number})
            try:
                while True:
                    frame = await watcher.next(1.0)
                    if frame["type"] == "rouletteUpdate" and frame["number"] == number:
                        assert frame["key"] == key and frame["numbers"][-1] == number
                        return
            except TimeoutError:
                continue
    raise AssertionError("no rouletteUpdate reached the watcher")


async def test_websockets_through_nginx_match_relay_and_see_roulette(
    deploy_stack: DeployStack,
) -> None:
    nginx = deploy_stack.nginx
    logged_before = len(nginx.upstreams_of("/ws"))
    alice = await WsClient.connect(nginx.ws_url)
    bob = await WsClient.connect(nginx.ws_url)
    try:
        found_alice, found_bob = await _match(alice, bob)
        assert found_alice["partner_id"] == bob.user_id
        assert found_bob["partner_id"] == alice.user_id
        assert found_alice["room_id"] == found_bob["room_id"]
        assert {found_alice["role"], found_bob["role"]} == {"caller", "callee"}
        caller, callee = (alice, bob) if found_alice["role"] == "caller" else (bob, alice)
        # Seed 004's checks: a version, o=, s=, t= and an audio (or data) media line.
        sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
        await _relay(caller, callee, "offer", {"type": "offer", "sdp": sdp})
        await _relay(callee, caller, "answer", {"type": "answer", "sdp": sdp})
        candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 40000 typ host", "sdpMid": "0"}
        await _relay(caller, callee, "ice_candidate", candidate)
        await _roulette_reaches(alice, bob, "deploy-" + uuid.uuid4().hex[:8])
    finally:
        await alice.close()
        await bob.close()
    # nginx logs a WebSocket when it closes: the two sockets went to different upstreams.
    async with asyncio.timeout(5):
        while len(nginx.upstreams_of("/ws")) < logged_before + 2:
            await asyncio.sleep(0.05)
    upstreams = nginx.upstreams_of("/ws")[logged_before:]
    assert len(set(upstreams)) == 2, upstreams
    assert set(upstreams) == {f"127.0.0.1:{api.port}" for api in deploy_stack.apis}
