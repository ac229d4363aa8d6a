"""A /ws token without `?token=` (issue 18, item 9): as a subprotocol or in a first frame, so
that it stays out of access logs; `?token=` keeps working for existing clients, and nginx
logs it as `token=-`."""

from __future__ import annotations

import json

import pytest
import websockets

from tests.deploy.nginx import NginxServer
from tests.fixtures.ports import wait_until
from tests.fixtures.voxhub_server import VoxhubServer
from tests.ws.client import WsClient


async def _session(ws: websockets.ClientConnection) -> dict:
    frame = json.loads(await ws.recv())
    assert frame["type"] == "session", frame
    return frame["payload"]


async def test_a_token_offered_as_a_subprotocol_identifies_the_socket(
    embedded: VoxhubServer,
) -> None:
    token = embedded.token("9101")
    async with websockets.connect(
        embedded.ws_url, subprotocols=["voxhub", f"bearer.{token}"]
    ) as ws:
        assert ws.subprotocol == "voxhub"
        session = await _session(ws)
        assert session["user_id"] == "9101" and session["role"] == "user"


async def test_a_forged_subprotocol_token_closes_4001(embedded: VoxhubServer) -> None:
    async with websockets.connect(embedded.ws_url, subprotocols=["voxhub", "bearer.x.y.z"]) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
    assert ws.close_code == 4001


async def test_a_token_in_the_first_frame_identifies_the_socket(embedded: VoxhubServer) -> None:
    token = embedded.token("9102")
    async with websockets.connect(f"{embedded.ws_url}?auth=frame") as ws:
        await ws.send(json.dumps({"type": "auth", "payload": {"token": token}}))
        session = await _session(ws)
        assert session["user_id"] == "9102"
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong"


async def test_a_first_frame_that_is_no_auth_frame_closes_4001(embedded: VoxhubServer) -> None:
    async with websockets.connect(f"{embedded.ws_url}?auth=frame") as ws:
        await ws.send(json.dumps({"type": "ping"}))
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
    assert ws.close_code == 4001


async def test_query_token_still_works_and_nginx_does_not_log_it(embedded: VoxhubServer) -> None:
    nginx = NginxServer([embedded.port])
    nginx.start()
    try:
        token = embedded.token("9103")
        client = await WsClient.connect(nginx.ws_url, token=token)
        assert client.user_id == "9103"
        await client.close()
        wait_until(lambda: "/ws?" in nginx.access_log(), 10, "the /ws request in the access log")
        log = nginx.access_log()
        assert token not in log and token.split(".")[2] not in log
        assert '"GET /ws?token=- HTTP/1.1" 101' in log
    finally:
        nginx.stop()
