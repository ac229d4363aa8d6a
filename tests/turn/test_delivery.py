"""Credentials delivered where clients ask for ICE servers, on two real workers: `GET
/ice-servers`, `GET /api/ice-servers` and the socket's `get_ice_servers`; each bound to the
caller's identity and token, STUN only for anonymous HTTP callers, limited per identity."""

from __future__ import annotations

import time
import uuid

import httpx

from app.auth import issue_token
from app.http.turn import turn_password
from tests.fixtures.turn_server import TurnServer
from tests.fixtures.voxhub_server import TEST_JWT_SECRET, VoxhubServer
from tests.turn.conftest import PER_MINUTE, STUN
from tests.ws.client import WsClient

ROUTES = ("/ice-servers", "/api/ice-servers")


def check_turn_entry(entry: dict, turn: TurnServer, name: str, not_after: float) -> None:
    assert entry["urls"] == turn.urls
    expiry, _, named = entry["username"].partition(":")
    assert named == name
    assert time.time() < int(expiry) <= not_after
    assert entry["credential"] == turn_password(turn.secret, entry["username"])


async def test_anonymous_http_callers_get_stun_only(turn_cluster: VoxhubServer) -> None:
    async with httpx.AsyncClient(base_url=turn_cluster.url) as http:
        for route in ROUTES:
            response = await http.get(route)
            assert response.status_code == 200
            assert response.json() == {"iceServers": [{"urls": [STUN]}]}


async def test_a_caller_with_a_token_gets_its_own_credential(
    turn_cluster: VoxhubServer, turn_server: TurnServer
) -> None:
    sub = f"user-{uuid.uuid4().hex[:8]}"
    token = issue_token(TEST_JWT_SECRET, sub, "user", 120)  # shorter than TURN_TTL (1 h)
    async with httpx.AsyncClient(base_url=turn_cluster.url) as http:
        for route in ROUTES:
            response = await http.get(route, headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
            stun, turn = response.json()["iceServers"]
            assert stun == {"urls": [STUN]}
            check_turn_entry(turn, turn_server, sub, time.time() + 120)


async def test_the_socket_gets_a_credential_for_its_user(
    turn_cluster: VoxhubServer, turn_server: TurnServer
) -> None:
    client = await WsClient.connect(turn_cluster.ws_url)
    try:
        await client.send({"type": "get_ice_servers", "payload": {}})
        stun, turn = (await client.expect("ice_servers"))["payload"]["iceServers"]
        assert stun == {"urls": [STUN]}
        check_turn_entry(turn, turn_server, client.user_id, time.time() + 3600 + 1)
    finally:
        await client.close()


async def test_the_session_frame_carries_the_users_credential(
    turn_cluster: VoxhubServer, turn_server: TurnServer
) -> None:
    """A client can start a call without asking: the first frame has the list, its TURN entry
    named after the socket's user and ending with the token it connected with."""
    sub = f"caller-{uuid.uuid4().hex[:8]}"
    token = issue_token(TEST_JWT_SECRET, sub, "user", 90)
    for token_given in (token, None):  # a token's user, then a new anonymous one
        client = await WsClient.connect(turn_cluster.ws_url, token=token_given)
        try:
            stun, turn = client.session["payload"]["ice_servers"]
            assert stun == {"urls": [STUN]}
            not_after = time.time() + (90 if token_given else 3600) + 1
            check_turn_entry(turn, turn_server, client.user_id, not_after)
            if token_given:
                assert client.user_id == sub
        finally:
            await client.close()


async def test_issuance_is_limited_per_identity_over_both_workers(
    turn_cluster: VoxhubServer,
) -> None:
    sub = f"harvester-{uuid.uuid4().hex[:8]}"
    headers = {"authorization": f"Bearer {issue_token(TEST_JWT_SECRET, sub, 'user', 600)}"}
    statuses = []
    async with httpx.AsyncClient(base_url=turn_cluster.url) as http:
        for _ in range(PER_MINUTE + 2):  # new connections: both workers take a share
            async with httpx.AsyncClient(base_url=turn_cluster.url) as fresh:
                statuses.append((await fresh.get("/ice-servers", headers=headers)).status_code)
        refused = await http.get("/api/ice-servers", headers=headers)
    assert statuses == [200] * PER_MINUTE + [429, 429]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.json() == {"error": "too many TURN credential requests; retry later"}
    # the socket of the same identity is let in with STUN only in its session frame, is
    # refused a credential with an error frame, and stays open
    client = await WsClient.connect(turn_cluster.ws_url, token=headers["authorization"][7:])
    try:
        assert client.session["payload"]["ice_servers"] == [{"urls": [STUN]}]
        await client.send({"type": "get_ice_servers"})
        frame = await client.expect("error")
        assert frame["payload"]["message"] == "too many TURN credential requests; retry later"
        await client.send({"type": "find_match"})
        await client.expect("waiting")
    finally:
        await client.close()
