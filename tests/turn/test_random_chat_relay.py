"""Two random-chat clients, each on its own worker and each limited to relay candidates
(`iceTransportPolicy: 'relay'`), complete a call through a real coturn: ICE servers from
`get_ice_servers`, the offer and answer relayed by Voxhub, each hearing the other's tone."""

from __future__ import annotations

import asyncio

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from tests.fixtures.turn_server import TurnServer
from tests.fixtures.voxhub_server import VoxhubServer
from tests.match.helpers import pair
from tests.media.peers import SAMPLE_RATE, SineTrack, mono_samples, tone_ratio, wait_for
from tests.turn.test_relay import relay_only
from tests.ws.client import WsClient, close_all, on_two_workers

CALLER_TONE, CALLEE_TONE = 440.0, 1500.0  # neither among tone_ratio's references


async def relay_servers(client: WsClient) -> list[dict]:
    await client.send({"type": "get_ice_servers", "payload": {}})
    servers: list[dict] = (await client.expect("ice_servers"))["payload"]["iceServers"]
    return [server for server in servers if server.get("username")]  # TURN only: no DNS


def collect(pc: RTCPeerConnection, heard: list) -> list[asyncio.Task[None]]:
    """Decode every remote track of `pc` into `heard`; the reader tasks, to cancel."""
    readers: list[asyncio.Task[None]] = []

    async def read(track: MediaStreamTrack) -> None:
        try:
            while True:
                heard.append(await track.recv())
        except MediaStreamError:
            pass

    pc.on("track", lambda track: readers.append(asyncio.ensure_future(read(track))))
    return readers


def relay_candidates_only(sdp: str) -> bool:
    candidates = [line for line in sdp.splitlines() if line.startswith("a=candidate")]
    return bool(candidates) and all(" typ relay " in line for line in candidates)


async def test_two_relay_only_clients_hear_each_other(
    turn_cluster: VoxhubServer, turn_server: TurnServer
) -> None:
    caller, callee = await on_two_workers(turn_cluster.ws_url)
    assert caller.worker != callee.worker
    caller_pc = relay_only(await relay_servers(caller))
    callee_pc = relay_only(await relay_servers(callee))
    heard_by_caller: list = []
    heard_by_callee: list = []
    readers = collect(caller_pc, heard_by_caller) + collect(callee_pc, heard_by_callee)
    try:
        await pair(callee, caller)
        caller_pc.addTransceiver(SineTrack(CALLER_TONE, seconds=4.0), direction="sendrecv")
        await caller_pc.setLocalDescription(await caller_pc.createOffer())
        offer = caller_pc.localDescription.sdp
        assert relay_candidates_only(offer), offer
        await caller.send({"type": "offer", "payload": {"type": "offer", "sdp": offer}})

        received = (await callee.expect("offer"))["payload"]
        await callee_pc.setRemoteDescription(RTCSessionDescription(received["sdp"], "offer"))
        callee_pc.addTrack(SineTrack(CALLEE_TONE, seconds=4.0))
        await callee_pc.setLocalDescription(await callee_pc.createAnswer())
        answer = callee_pc.localDescription.sdp
        assert relay_candidates_only(answer), answer
        await callee.send({"type": "answer", "payload": {"type": "answer", "sdp": answer}})

        received = (await caller.expect("answer"))["payload"]
        await caller_pc.setRemoteDescription(RTCSessionDescription(received["sdp"], "answer"))
        await wait_for(
            lambda: len(heard_by_caller) >= 150 and len(heard_by_callee) >= 150,
            10.0,
            "three seconds of audio each way",
        )
    finally:
        await caller_pc.close()
        await callee_pc.close()
        for reader in readers:
            reader.cancel()
        await close_all([caller, callee])
    assert tone_ratio(mono_samples(heard_by_caller)[SAMPLE_RATE // 2 :], CALLEE_TONE) > 100
    assert tone_ratio(mono_samples(heard_by_callee)[SAMPLE_RATE // 2 :], CALLER_TONE) > 100
    log = turn_server.log_text()
    for client in (caller, callee):  # both allocated with their own credential
        assert f":{client.user_id}>" in log
