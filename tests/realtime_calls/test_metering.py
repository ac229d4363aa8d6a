"""A metered call end to end on the embedded server: a real aiortc caller hears the fake
OpenAI peer, every `response.done` is charged against the hold, the caller's socket sees it,
transcripts land in history, and the hold is settled at a hang-up or when the balance runs out."""

from __future__ import annotations

import httpx

from tests.accounts.client import Api, token_for
from tests.fixtures.fake_realtime import FakeRealtime
from tests.realtime_calls.caller import (
    Caller,
    assert_settled,
    call_rows,
    heard,
    refused_call,
    settled,
    until,
)
from tests.ws.client import WsClient


async def test_call_is_charged_per_response_and_settled_at_hang_up(
    embedded: Api, knobs: FakeRealtime
) -> None:
    knobs.pace, knobs.tokens_per_response = 0.15, 300
    user_id, headers = embedded.create_user(balance=5000)
    socket = await WsClient.connect(
        embedded.server.ws_url, headers["Authorization"].removeprefix("Bearer ")
    )
    caller = Caller(embedded.url, headers)
    try:
        response = await caller.call()
        assert response.status_code == 201, response.text
        assert response.headers["content-type"].startswith("application/sdp")
        assert response.headers["Location"] == f"/api/realtime/calls/{caller.call_id}"
        assert embedded.balance(user_id) <= 4000  # the hold is taken at once
        assert await caller.hears_tone() > 10

        async def four_responses() -> bool:
            return (await caller.state())["responses"] >= 4

        await until(four_responses, 20, "four charged responses")
        usage = await socket.expect("realtime.usage", timeout=10)
        assert usage["payload"]["call_id"] == caller.call_id
        assert usage["payload"]["tokens"] == 300
        assert usage["payload"]["usage"]["input_audio"] > 0

        ended = await caller.hang_up()
        assert ended["state"] == "ended" and ended["end_reason"] == "hangup"
        assert ended["held"] == 0
    finally:
        await caller.close()
    assert ended["openai_call_id"] in knobs.hangups
    ended, ledger = await settled(embedded, user_id, caller)
    charged = ended["charged"]
    assert charged == 300 * ended["responses"]
    assert ended["usage"]["total"] == charged
    assert embedded.balance(user_id) == 5000 - charged
    assert_settled(ledger, caller.call_id, charged)
    reasons = [row["reason"] for row in call_rows(ledger, caller.call_id)]
    # A response on its way at the hang-up is charged after the release.
    assert reasons[0] == "realtime_hold" and reasons.count("realtime_release") == 1

    frames = await heard(socket, ended["responses"] - 1)  # one usage frame was read above
    (end,) = [frame for frame in frames if frame["type"] == "realtime.ended"]
    assert end["payload"]["call_id"] == caller.call_id
    assert end["payload"]["reason"] == "hangup"
    assert end["payload"]["released"] > 0 and end["payload"]["balance"] >= 0
    await socket.close()

    async with httpx.AsyncClient() as client:
        response = await client.get(
            embedded.url + "/api/conversation", params={"limit": 100}, headers=headers
        )
    history = response.json()["data"]["messages"]
    spoken = [m for m in history if m["session_id"] == caller.call_id]
    assert {m["message_type"] for m in spoken} == {"user", "assistant"}
    assert any(m["content"] == "user words 1" for m in spoken)
    assert any(m["content"] == "assistant words 1" for m in spoken)

    assert embedded.metric("voxhub_realtime_hangups_total", '{reason="hangup"}') >= 1
    assert embedded.metric("voxhub_realtime_tokens_charged_total", '{type="input_audio"}') > 0
    assert embedded.metric("voxhub_realtime_sideband_attaches_total", '{kind="attach"}') >= 1
    assert embedded.metric("voxhub_realtime_openai_seconds_count", '{operation="create"}') >= 1


async def test_running_out_of_balance_hangs_up_with_reason_balance(
    embedded: Api, knobs: FakeRealtime
) -> None:
    # Hold 1000, low water 400, 300 a response: the balance of 1500 pays four or five.
    knobs.pace, knobs.tokens_per_response = 0.1, 300
    user_id, headers = embedded.create_user(balance=1500)
    caller = Caller(embedded.url, headers)
    try:
        assert (await caller.call()).status_code == 201

        final = await caller.until_ended(20)
    finally:
        await caller.close()
    assert final["end_reason"] == "balance"
    assert final["openai_call_id"] in knobs.hangups
    final, ledger = await settled(embedded, user_id, caller)
    balance = embedded.balance(user_id)
    assert balance >= 0
    assert balance == 1500 - final["charged"] + sum(
        row["details"]["uncovered"] for row in ledger if row["reason"] == "realtime_charge"
    )
    assert final["charged"] >= 1200
    assert_settled(ledger, caller.call_id, final["charged"])


async def test_a_call_needs_a_full_hold(embedded: Api, knobs: FakeRealtime) -> None:
    user_id, headers = embedded.create_user(balance=999)
    creates = knobs.creates
    response = await refused_call(embedded.url, headers)
    assert response.status_code == 402
    assert response.json() == {"success": False, "error": "Insufficient tokens", "balance": 999}
    assert knobs.creates == creates  # OpenAI was never asked
    assert embedded.metric("voxhub_realtime_holds_refused_total") >= 1
    assert embedded.balance(user_id) == 999
    assert not [row for row in embedded.ledger(user_id) if row["reason"].startswith("realtime")]


def test_other_users_calls_are_not_found(embedded: Api) -> None:
    _, headers = embedded.create_user(balance=0)
    for method in ("GET", "DELETE"):
        response = httpx.request(method, embedded.url + "/api/realtime/calls/1", headers=headers)
        assert response.status_code == 404
        assert response.json() == {"success": False, "error": "call not found"}
    response = httpx.get(
        embedded.url + "/api/realtime/calls/1", headers=token_for("nobody", "anon")
    )
    assert response.status_code in (401, 404)
