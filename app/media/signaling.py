"""API side of call set-up and hang-up: hand work to media workers through Redis, wait, report.

Never hangs a request: every wait is bounded (`MEDIA_ANSWER_TIMEOUT` for answers), and an offer
nobody took in time is withdrawn from the queue so that no worker answers it later.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

from app.bus import Hub
from app.errors import DomainError
from app.media.protocol import (
    OFFER_QUEUE,
    Answer,
    Hangup,
    Offer,
    ProtocolError,
    control_channel,
    reply_key,
)
from app.media.registry import free_slots, live_workers

RETRY_AFTER_SECONDS = 5


class MediaUnavailable(DomainError):
    """No media worker can take the call now (HTTP 503 with Retry-After).

    `reason` labels the refused offer in the metrics (no_capacity, timeout, failed).
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(503, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        self.reason = reason


class OfferRefused(DomainError):
    """The media worker could not use the offer (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


@dataclass(frozen=True, slots=True)
class PlacedCall:
    conversation_id: str
    worker: str
    sdp: str


async def place_call(redis: Redis, sdp: str, user_id: int | None, wait: float) -> PlacedCall:
    """Queue the offer for a media worker with a free slot; wait `wait` s for its answer."""
    workers = await live_workers(redis)
    if not workers:
        raise MediaUnavailable("no media worker is running", "no_capacity")
    if free_slots(workers) <= 0:
        raise MediaUnavailable("all media workers are at capacity", "no_capacity")
    conversation_id = uuid.uuid4().hex
    offer = Offer(
        conversation_id=conversation_id,
        sdp=sdp,
        user_id=user_id,
        reply_to=reply_key(conversation_id),
        deadline=time.time() + wait,
    )
    payload = offer.to_json()
    await redis.lpush(OFFER_QUEUE, payload)
    try:
        reply = await redis.blpop([offer.reply_to], timeout=wait)
    except asyncio.CancelledError:
        await _withdraw(redis, payload)
        raise
    if reply is None:
        if await _withdraw(redis, payload):
            raise MediaUnavailable("no media worker took the call in time", "timeout")
        # A worker took it but did not answer in time; it drops the call itself (deadline).
        raise MediaUnavailable("the media worker did not answer in time", "timeout")
    try:
        answer = Answer.from_json(reply[1])
    except ProtocolError as exc:
        raise MediaUnavailable(f"unreadable answer from a media worker: {exc}", "failed") from None
    if answer.error == "bad_offer":
        raise OfferRefused(answer.message or "the offer cannot be answered")
    if answer.error is not None or not answer.sdp:
        raise MediaUnavailable(answer.message or "the media worker failed", "failed")
    return PlacedCall(conversation_id=conversation_id, worker=answer.worker, sdp=answer.sdp)


async def _withdraw(redis: Redis, payload: str) -> bool:
    """Take an unclaimed offer back; False when a worker already took it."""
    return bool(await redis.lrem(OFFER_QUEUE, 1, payload))


async def hang_up(hub: Hub, worker: str, conversation_id: str, wait: float) -> bool:
    """Ask the owning worker to end the call; True once it confirmed the file is finalized.

    False when no worker listens on that channel (it is gone: the reaper fails its calls) or
    it did not confirm within `wait` seconds.
    """
    token = uuid.uuid4().hex
    command = Hangup(conversation_id=conversation_id, reply_to=reply_key(f"hangup:{token}"))
    if not await hub.publish(control_channel(worker), command.to_json()):
        return False
    reply = await hub.redis.blpop([command.reply_to], timeout=wait)
    return reply is not None
