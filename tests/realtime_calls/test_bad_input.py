"""Bad offers, bad bodies, prompts one may not use and OpenAI failing: clear 4xx/5xx answers in
seed 000's envelope, never a 500, and never a token spent without a call."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.accounts.client import Api
from tests.fixtures.fake_realtime import FakeRealtime
from tests.media.peers import ClientPeer, SineTrack
from tests.realtime_calls.caller import CALLS, refused_call


def _post(api: Api, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
    return httpx.post(api.url + CALLS, headers=headers, timeout=30, **kwargs)


def _no_money_moved(api: Api, user_id: int, balance: int) -> None:
    assert api.balance(user_id) == balance
    rows = [row for row in api.ledger(user_id) if row["reason"].startswith("realtime")]
    assert sum(row["delta"] for row in rows) == 0
    assert not [row for row in rows if row["reason"] == "realtime_charge"]


@pytest.mark.parametrize(
    ("content_type", "body", "error"),
    [
        ("application/sdp", b"", "Invalid request: "),
        ("application/sdp", b"hello", "Invalid SDP offer"),
        ("application/sdp", b"v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", "Invalid SDP offer"),
        ("application/sdp", b"\xff\xfe", "Invalid request: the SDP offer is not UTF-8"),
        ("application/json", b"{}", "Invalid request: "),
        ("application/json", b"{not json", "Invalid request: the body is not valid JSON"),
        ("application/json", b'{"sdp": "v=0 m=audio", "voice": "robot"}', "Invalid request: "),
        ("application/json", b'{"sdp": "v=0 m=audio", "model": "gpt-4"}', "Invalid request: "),
        ("application/json", b'{"sdp": 5}', "Invalid request: "),
    ],
)
def test_bad_bodies_are_400(
    embedded: Api, content_type: str, body: bytes, error: str, knobs: FakeRealtime
) -> None:
    user_id, headers = embedded.create_user(balance=5000)
    creates = knobs.creates
    response = _post(embedded, {**headers, "Content-Type": content_type}, content=body)
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False
    assert response.json()["error"].startswith(error)
    assert knobs.creates == creates
    _no_money_moved(embedded, user_id, 5000)


def test_anonymous_callers_are_refused(embedded: Api) -> None:
    response = _post(embedded, {"Content-Type": "application/sdp"}, content=b"v=0\r\nm=audio")
    assert response.status_code == 401
    assert response.json()["success"] is False


def test_a_prompt_one_may_not_use_is_404(embedded: Api) -> None:
    user_id, headers = embedded.create_user(balance=5000)
    body = {"sdp": "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "prompt_id": 999_999}
    response = _post(embedded, headers, json=body)
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "prompt not found"}
    _no_money_moved(embedded, user_id, 5000)


@pytest.mark.parametrize(
    ("status", "answer", "error"),
    [
        (500, 502, "OpenAI refused the request (500)"),
        (429, 502, "OpenAI refused the request (429)"),
        (400, 400, "OpenAI refused the request (400)"),
    ],
)
async def test_openai_failures_release_the_hold(
    embedded: Api, knobs: FakeRealtime, status: int, answer: int, error: str
) -> None:
    user_id, headers = embedded.create_user(balance=5000)
    knobs.fail(status)
    response = await refused_call(embedded.url, headers)
    assert response.status_code == answer, response.text
    assert response.json()["error"].startswith(error)
    _no_money_moved(embedded, user_id, 5000)


async def test_openai_time_out_is_502(embedded: Api, knobs: FakeRealtime) -> None:
    user_id, headers = embedded.create_user(balance=5000)
    knobs.create_delay = 3.0  # OPENAI_TIMEOUT is 2s
    response = await refused_call(embedded.url, headers)
    assert response.status_code == 502
    assert response.json() == {"success": False, "error": "OpenAI did not answer in time"}
    _no_money_moved(embedded, user_id, 5000)


def test_the_json_form_answers_in_the_envelope(embedded: Api, knobs: FakeRealtime) -> None:
    """A JSON body gets `{call_id, sdp}` back; the call is then hung up by its owner only."""

    async def offer() -> tuple[ClientPeer, str]:
        peer = ClientPeer(SineTrack(440.0, 1))
        return peer, await peer.offer()

    loop = asyncio.new_event_loop()
    peer, sdp = loop.run_until_complete(offer())
    user_id, headers = embedded.create_user(balance=5000)
    other_id, other = embedded.create_user(balance=5000)
    response = _post(embedded, headers, json={"sdp": sdp, "voice": "coral"})
    loop.run_until_complete(peer.close())
    loop.close()
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["sdp"].startswith("v=0") and data["call_id"] == int(response.headers["X-Call-Id"])
    location = embedded.url + response.headers["Location"]
    assert httpx.delete(location, headers=other).status_code == 404
    state = httpx.get(location, headers=headers).json()["data"]
    assert state["voice"] == "coral" and state["state"] == "live"
    session = knobs.calls[state["openai_call_id"]].session
    assert session["audio"]["output"]["voice"] == "coral"
    assert session["audio"]["input"]["transcription"]
    ended = httpx.delete(location, headers=embedded.service).json()["data"]
    assert ended["state"] == "ended"
    assert httpx.delete(location, headers=headers).json()["data"]["end_reason"] == "hangup"
    assert embedded.balance(user_id) == 5000 - ended["charged"]
    assert embedded.balance(other_id) == 5000
