"""The ICE server list (seed 004 §6): `get_ice_servers` on /ws and the public `GET /ice-servers`,
configured and not; and how `ice_servers` builds it from the settings."""

from __future__ import annotations

import httpx
import pytest

from app.auth import Identity, Role
from app.http.ice_servers import ice_servers
from tests.fixtures.voxhub_server import VoxhubServer
from tests.match.conftest import STUN_URLS, TURN
from tests.match.helpers import pair
from tests.turn.helpers import memory_limiter, settings
from tests.ws.client import WsClient, close_all, on_two_workers

CONFIGURED = {
    "iceServers": [
        {"urls": STUN_URLS},
        {"urls": [TURN["url"]], "username": TURN["username"], "credential": TURN["password"]},
    ]
}


async def served(server: VoxhubServer) -> tuple[dict, dict]:
    """(the HTTP body, the socket frame's payload), without any token."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/ice-servers")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    client = await WsClient.connect(server.ws_url)
    await client.send({"type": "get_ice_servers", "payload": {}})
    frame = await client.expect("ice_servers")
    assert set(frame) == {"type", "payload", "timestamp"}
    await client.close()
    return response.json(), frame["payload"]


async def test_nothing_configured_is_an_empty_list(cluster: VoxhubServer) -> None:
    """No public STUN servers are added behind the operator's back."""
    assert await served(cluster) == ({"iceServers": []}, {"iceServers": []})


async def test_stun_and_turn_as_configured(on_connect_cluster: VoxhubServer) -> None:
    assert await served(on_connect_cluster) == (CONFIGURED, CONFIGURED)


async def test_get_ice_servers_in_a_room_goes_to_the_sender_only(cluster: VoxhubServer) -> None:
    a, b = await on_two_workers(cluster.ws_url)
    await pair(a, b)
    await a.send({"type": "get_ice_servers"})
    assert (await a.expect("ice_servers"))["payload"] == {"iceServers": []}
    await b.silent(0.2)
    await close_all([a, b])


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, []),
        ({"STUN_SERVERS": " stun:a:1 , stun:b:2 "}, [{"urls": ["stun:a:1", "stun:b:2"]}]),
        ({"TURN_URL": "turn:t:3478"}, [{"urls": ["turn:t:3478"]}]),
        (
            {"TURN_URL": "turns:t:5349", "TURN_USERNAME": "u"},
            [{"urls": ["turns:t:5349"], "username": "u"}],
        ),
        (
            {"TURN_URL": "turn:t:3478", "TURN_PASSWORD": "p", "STUN_SERVERS": "stun:a:1"},
            [{"urls": ["stun:a:1"]}, {"urls": ["turn:t:3478"], "credential": "p"}],
        ),
        ({"TURN_USERNAME": "u", "TURN_PASSWORD": "p"}, []),
    ],
    ids=["none", "stun", "turn-bare", "turn-user-only", "both", "credentials-without-url"],
)
async def test_the_list_from_settings(env: dict[str, str], expected: list[dict]) -> None:
    """Without TURN_SECRET, the static list of seed 004, the same for every caller."""
    config = settings(**env)
    for identity in (None, Identity(sub="42", role=Role.USER)):
        served = await ice_servers(config, memory_limiter(config), identity)
        assert served.model_dump(mode="json") == {"iceServers": expected}
