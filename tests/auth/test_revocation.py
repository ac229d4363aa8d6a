"""Revocable, short-lived tokens with a refresh flow (issue 18, item 9), on two real workers.

Every token has a `jti`; log-out revokes it in Redis and every worker refuses it on its next
use, on REST and on /ws. Access tokens live JWT_TTL (1 h); the session's refresh token buys a
new pair once, and a second use of it is refused.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import jwt
import pytest
import websockets

from tests.fixtures.voxhub_server import TEST_JWT_SECRET, VoxhubServer


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sign_up(server: VoxhubServer) -> dict:
    body = {"username": f"r{uuid.uuid4().hex[:12]}", "password": "correct horse battery"}
    response = httpx.post(server.url + "/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _me_everywhere(server: VoxhubServer, token: str, tries: int = 12) -> set[int]:
    """Statuses of /api/auth/me over fresh connections (spread over both workers)."""
    return {
        httpx.get(
            server.url + "/api/auth/me", headers={**_bearer(token), "Connection": "close"}
        ).status_code
        for _ in range(tries)
    }


def test_sessions_carry_a_jti_a_short_access_token_and_a_refresh_token(
    cluster: VoxhubServer,
) -> None:
    session = _sign_up(cluster)
    access = jwt.decode(session["access_token"], TEST_JWT_SECRET, algorithms=["HS256"])
    refresh = jwt.decode(session["refresh_token"], TEST_JWT_SECRET, algorithms=["HS256"])
    assert access["jti"] and refresh["jti"] and access["jti"] != refresh["jti"]
    assert session["expires_in"] == access["exp"] - access["iat"] == 3600
    assert refresh["typ"] == "refresh" and session["refresh_expires_in"] == 720 * 3600


def test_logout_revokes_the_token_on_every_worker(cluster: VoxhubServer) -> None:
    session = _sign_up(cluster)
    token = session["access_token"]
    assert _me_everywhere(cluster, token) == {200}
    out = httpx.post(
        cluster.url + "/api/auth/logout",
        headers=_bearer(token),
        json={"refresh_token": session["refresh_token"]},
    )
    assert out.status_code == 200 and out.json() == {"revoked": 2}
    assert _me_everywhere(cluster, token) == {401}
    refused = httpx.get(cluster.url + "/api/auth/me", headers=_bearer(token))
    assert refused.json()["error"] == "token revoked"
    again = httpx.post(
        cluster.url + "/api/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert again.status_code == 401


async def test_a_revoked_token_cannot_open_a_socket(cluster: VoxhubServer) -> None:
    session = await asyncio.to_thread(_sign_up, cluster)
    token = session["access_token"]
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        (await http.post("/api/auth/logout", headers=_bearer(token))).raise_for_status()
    for options in (
        {"uri": f"{cluster.ws_url}?token={token}"},
        {"uri": cluster.ws_url, "subprotocols": ["voxhub", f"bearer.{token}"]},
    ):
        ws = await websockets.connect(**options)
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4001


def test_a_refresh_token_buys_one_new_session(cluster: VoxhubServer) -> None:
    session = _sign_up(cluster)
    url = cluster.url + "/api/auth/refresh"
    renewed = httpx.post(url, json={"refresh_token": session["refresh_token"]})
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()
    assert fresh["user"]["id"] == session["user"]["id"]
    assert fresh["refresh_token"] != session["refresh_token"]
    assert _me_everywhere(cluster, fresh["access_token"], 2) == {200}
    reused = httpx.post(url, json={"refresh_token": session["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"] == "refresh token already used or revoked"


def test_access_and_refresh_tokens_are_not_interchangeable(cluster: VoxhubServer) -> None:
    session = _sign_up(cluster)
    as_bearer = httpx.get(cluster.url + "/api/auth/me", headers=_bearer(session["refresh_token"]))
    assert as_bearer.status_code == 401
    as_refresh = httpx.post(
        cluster.url + "/api/auth/refresh", json={"refresh_token": session["access_token"]}
    )
    assert as_refresh.status_code == 401
