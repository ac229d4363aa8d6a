"""The embedded default: one `voxhub serve` process (memory:// Redis, SQLite) runs the calls."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest

from tests.media.conftest import MEDIA_ENV, MediaApi
from tests.media.peers import ClientPeer, SineTrack, decode_ogg, wait_for
from tests.media.test_media_service import SERVICE


@pytest.fixture(scope="module")
def embedded_api() -> Iterator[MediaApi]:
    server = MediaApi(workers=1, REDIS_URL="memory://", **MEDIA_ENV)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


async def test_embedded_server_answers_records_and_hangs_up(embedded_api: MediaApi) -> None:
    async with httpx.AsyncClient(base_url=embedded_api.url, timeout=20) as http:
        client = ClientPeer(SineTrack(seconds=10.0))
        try:
            response = await http.post(
                "/webrtc", content=await client.offer(), headers={"content-type": "application/sdp"}
            )
            assert response.status_code == 201, response.text
            conversation_id = response.headers["x-conversation-id"]
            await client.accept(response.text)
            await wait_for(lambda: client.track.frames_sent >= 100, 5.0, "two seconds of audio")
            assert (await http.get("/health")).json()["active_conversations"] == 1
            assert (await http.delete(f"/webrtc/{conversation_id}")).status_code == 204
        finally:
            await client.close()
        row = (await http.get(f"/api/conversations/{conversation_id}", headers=SERVICE)).json()
        assert row["state"] == "ended" and row["end_reason"] == "hangup"
        recording = await http.get(row["recording_url"], headers=SERVICE)
        assert recording.status_code == 200 and len(recording.content) == row["bytes"]
        assert (await http.get("/health")).json()["active_conversations"] == 0
    path = embedded_api.recordings_dir / conversation_id / "user_audio.ogg"
    _, rate, samples = decode_ogg(str(path))
    assert rate == 48_000 and samples / rate > 1.5
