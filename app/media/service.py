"""The media domain inside one worker process, as the routes and `/health` reach it.

API workers hold no call: `place_call` hands the offer to a media worker through Redis
(`signaling`) and returns its answer, `hang_up` asks the owning worker to end a call, and
conversations are read from the rows media workers write (`storage`). With the embedded Redis
(`REDIS_URL=memory://`) nothing outside this process can reach the offer queue, so `start`
runs the media engine here too, the same `MediaWorker` a `voxhub media-worker` process runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from databases import Database
from redis.asyncio import Redis

from app.bus import Hub
from app.config import Settings
from app.db.tables.media import LIVE_STATES
from app.errors import not_found
from app.media import registry, signaling, storage
from app.media.protocol import RECORDING_FILENAME, is_conversation_id
from app.media.signaling import PlacedCall

if TYPE_CHECKING:
    from app.media.engine.worker import MediaWorker

HANGUP_WAIT_SECONDS = 5.0


def recording_path(recordings_dir: str, conversation_id: str) -> Path | None:
    """The recording of a conversation, or None; never a path outside `recordings_dir`.

    The id was validated as 32 hex digits; resolving and re-checking the parent makes a
    traversal impossible even if that validation ever changed.
    """
    root = Path(recordings_dir).resolve()
    path = (root / conversation_id / RECORDING_FILENAME).resolve()
    if path.parent.parent != root or not path.is_file():
        return None
    return path


class MediaService:
    def __init__(self, settings: Settings, db: Database, redis: Redis, hub: Hub) -> None:
        self.settings = settings
        self.db = db
        self.redis = redis
        self.hub = hub
        self.engine: MediaWorker | None = None
        """The calls this process holds itself (embedded mode only)."""

    # -- lifecycle (Sanic listeners, see `app.media.register`) --------------------------------

    async def start(self) -> None:
        """Start the embedded engine when this process is the only one that can hold calls."""
        if not self.settings.embedded:
            return
        # Imported here, not at the top: the engine loads aiortc, which API workers that only
        # signal (every deployment with a shared Redis) never need.
        from app.media.engine.worker import MediaWorker

        self.engine = MediaWorker(self.settings, self.redis, self.db, self.hub)
        await self.engine.start()

    async def stop(self) -> None:
        """Finalize the embedded engine's calls, if it runs."""
        if self.engine is not None:
            await self.engine.stop()

    # -- calls ----------------------------------------------------------------------------------

    async def place_call(self, sdp: str, user_id: int | None) -> PlacedCall:
        """The answer of the media worker that took the call; `OfferRefused` (400) or
        `MediaUnavailable` (503 with Retry-After) otherwise."""
        return await signaling.place_call(
            self.redis, sdp, user_id, self.settings.media_answer_timeout
        )

    async def hang_up(self, row: dict[str, Any]) -> None:
        """End a live call; returns once its worker finalized the recording (or gave up)."""
        if row["state"] in LIVE_STATES:
            await signaling.hang_up(self.hub, row["worker"], row["id"], HANGUP_WAIT_SECONDS)

    # -- reads ----------------------------------------------------------------------------------

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's row, with a vanished worker's live call already marked failed;
        404 for an id that is not one."""
        if not is_conversation_id(conversation_id):
            raise not_found("conversation not found")
        row = await storage.get_conversation(self.db, conversation_id)
        if row is None:
            raise not_found("conversation not found")
        if row["state"] in LIVE_STATES:
            if await storage.reap_lost_workers(self.db, self.redis, self.settings.recordings_dir):
                row = await storage.get_conversation(self.db, conversation_id) or row
        return row

    async def recording(self, conversation_id: str) -> Path:
        """The conversation's recording file; 404 when there is none."""
        path = await asyncio.to_thread(
            recording_path, self.settings.recordings_dir, conversation_id
        )
        if path is None:
            raise not_found("no recording for this conversation")
        return path

    async def active_conversations(self) -> int:
        """Calls the live media workers hold now, by their heartbeats."""
        return await registry.active_conversations(self.redis)
