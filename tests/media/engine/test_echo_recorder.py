"""Echo queue (drop oldest) and recorder (order, loss concealment, queue limit)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiortc.mediastreams import MediaStreamError

from app.compat.aiortc_rtp_tap import ReceivedPacket
from app.media.engine.echo import EchoTrack
from app.media.engine.ogg_writer import DEFAULT_PRE_SKIP, OggOpusWriter
from app.media.engine.recorder import Recorder
from tests.media.opus_samples import encode_tone, parse_pages
from tests.media.peers import decode_ogg

PACKETS = encode_tone(60)


def rtp(index: int, ssrc: int = 7, seq0: int = 65_530, ts0: int = 4_294_960_000) -> ReceivedPacket:
    """Packet ``index`` of a stream whose sequence and timestamp wrap early on."""
    return ReceivedPacket(
        ssrc,
        (seq0 + index) & 0xFFFF,
        (ts0 + index * 960) & 0xFFFFFFFF,
        PACKETS[index % len(PACKETS)],
    )


async def test_echo_queue_drops_the_oldest_and_counts() -> None:
    track = EchoTrack(capacity=100)
    for index in range(150):
        track.push(rtp(index))
    assert track.dropped == 50 and track.queued == 100
    first = await track.recv()
    # packet 50 is the oldest survivor; pts follow the caller's RTP clock across the wrap
    assert bytes(first) == PACKETS[50 % len(PACKETS)]
    assert first.pts == 50 * 960 and first.time_base.denominator == 48_000
    second = await track.recv()
    assert second.pts == 51 * 960
    assert track.sent == 2


async def test_echo_timeline_survives_a_new_ssrc_and_waits_for_packets() -> None:
    track = EchoTrack()
    track.push(rtp(0))
    track.push(rtp(1))
    track.push(rtp(0, ssrc=99, ts0=123))  # sender restarted: continue after packet 1
    assert [(await track.recv()).pts for _ in range(3)] == [0, 960, 1920]
    waiter = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    track.push(rtp(1, ssrc=99, ts0=123))
    assert (await asyncio.wait_for(waiter, 1.0)).pts == 2880
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_echo_stop_wakes_a_waiting_sender() -> None:
    track = EchoTrack()
    waiter = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0.01)
    track.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(waiter, 1.0)
    track.push(rtp(0))  # ignored once stopped
    assert track.pushed == 0


async def record(tmp_path: Path, packets: list[ReceivedPacket], **kwargs: int) -> Recorder:
    recorder = Recorder(OggOpusWriter(tmp_path / "r.ogg"), **kwargs)
    recorder.start()
    for packet in packets:
        recorder.push(packet)
    await recorder.close()
    return recorder


async def test_recorder_restores_order_and_drops_late_packets(tmp_path: Path) -> None:
    order = [0, 1, 3, 2, 4, 6, 5, 7, 8, 9, 9, 10, 11]  # reordered, one duplicate
    recorder = await record(tmp_path, [rtp(i) for i in order])
    assert recorder.late == 1 and recorder.concealed_frames == 0
    pages = parse_pages((tmp_path / "r.ogg").read_bytes())
    written = [packet for page in pages[2:] for packet in page.packets]
    assert written == [PACKETS[i] for i in range(12)]


async def test_recorder_conceals_lost_packets_to_keep_the_timeline(tmp_path: Path) -> None:
    # 40 packets sent, 6 lost in a burst and 1 alone: the file still lasts 40 x 20 ms.
    lost = {10, 11, 12, 13, 14, 15, 30}
    recorder = await record(tmp_path, [rtp(i) for i in range(40) if i not in lost])
    assert recorder.concealed_frames == 7
    _, _, samples = decode_ogg(str(tmp_path / "r.ogg"))
    assert samples == 40 * 960 - DEFAULT_PRE_SKIP
    assert recorder.duration == samples / 48_000


async def test_recorder_gives_up_on_a_missing_packet_after_the_window(tmp_path: Path) -> None:
    recorder = Recorder(OggOpusWriter(tmp_path / "r.ogg", packets_per_page=1), reorder_window=3)
    recorder.start()
    for index in (0, 2, 3, 4):
        recorder.push(rtp(index))
    await asyncio.sleep(0.05)
    assert recorder.packets_written == 1  # still waiting for packet 1
    recorder.push(rtp(5))  # window exceeded: packet 1 is declared lost
    await asyncio.sleep(0.05)
    # 0, a concealment packet for 1, then 2..5
    assert recorder.packets_written == 6 and recorder.concealed_frames == 1
    recorder.push(rtp(1))  # arrives too late
    await recorder.close()
    assert recorder.late == 1


async def test_recorder_queue_limit_drops_and_counts(tmp_path: Path) -> None:
    recorder = Recorder(OggOpusWriter(tmp_path / "r.ogg"), queue_size=10)
    for index in range(25):  # the task is not running: nothing drains the queue
        recorder.push(rtp(index))
    assert recorder.dropped == 15 and recorder.received == 25
    recorder.start()
    await recorder.close()
    assert recorder.packets_written == 10
    assert recorder.writer.closed


async def test_recorder_invalid_payloads_and_a_new_ssrc(tmp_path: Path) -> None:
    packets = [rtp(0), rtp(1), ReceivedPacket(7, rtp(2).sequence_number, rtp(2).timestamp, b"")]
    packets += [rtp(i, ssrc=8, seq0=100, ts0=5) for i in range(3)]
    recorder = await record(tmp_path, packets)
    assert recorder.invalid == 1
    assert recorder.packets_written == 5 and recorder.concealed_frames == 0


async def test_timestamp_jumps_buy_no_concealment_beyond_the_real_clock(tmp_path: Path) -> None:
    """Issue 18, to check: a sender jumping its RTP timestamps 59 s forward on every packet
    made the recorder write a minute of concealment per packet, on the event loop. Now the
    file never runs ahead of the time since its first packet (plus a second of slack)."""
    now = [100.0]
    recorder = Recorder(OggOpusWriter(tmp_path / "r.ogg"), clock=lambda: now[0])
    recorder.start()
    jump = 59 * 48_000
    for index in range(100):  # 100 packets in 2 s of real time, each 59 s "later"
        packet = rtp(index)
        recorder.push(packet._replace(timestamp=(packet.timestamp + index * jump) & 0xFFFFFFFF))
        now[0] += 0.02
    await recorder.close()
    assert recorder.duration <= 2 + 1
    assert recorder.concealed_frames <= 1 * 50  # the slack's second, at most


async def test_a_real_pause_is_still_concealed(tmp_path: Path) -> None:
    """A sender that really stops for 3 s (DTX) keeps its timeline: 3 s passed."""
    now = [0.0]
    recorder = Recorder(OggOpusWriter(tmp_path / "r.ogg"), clock=lambda: now[0])
    recorder.start()
    for index in [*range(10), *range(160, 170)]:  # packets 10..159 never sent: 3 s
        now[0] = index * 0.02
        recorder.push(rtp(index))
    await recorder.close()
    assert recorder.concealed_frames == 150
    assert recorder.duration == pytest.approx(170 * 0.02 - DEFAULT_PRE_SKIP / 48_000)
