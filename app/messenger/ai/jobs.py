"""The AI job: what the API enqueues on the Redis Stream and the AI worker consumes.

A job names its source message, the member it is for and its kind; that triple is also the
unique key of its answer in `ai_answers`, which is what makes a reclaimed job harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis

from app.bus.streams import StreamQueue
from app.messenger.schemas import ChatMember, Message

JOBS_STREAM = "voxhub:ai:jobs"
DEAD_STREAM = "voxhub:ai:dead"
GROUP = "ai-workers"

ADVICE = "advice"
AUTOREPLY = "autoreply"
KINDS = (ADVICE, AUTOREPLY)


def job_queue(redis: Redis) -> StreamQueue:
    return StreamQueue(redis, JOBS_STREAM, GROUP, DEAD_STREAM)


@dataclass(frozen=True, slots=True)
class AiJob:
    kind: str
    chat_id: int
    message_id: int
    user_id: int
    """The member the AI works for: receives the advice, or is the author of the reply."""

    def to_fields(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "chat_id": str(self.chat_id),
            "message_id": str(self.message_id),
            "user_id": str(self.user_id),
        }

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> AiJob:
        """Raises ValueError for an entry that is not a job (it can only be dead-lettered)."""
        try:
            job = cls(
                kind=fields["kind"],
                chat_id=int(fields["chat_id"]),
                message_id=int(fields["message_id"]),
                user_id=int(fields["user_id"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed AI job: {fields!r}") from exc
        if job.kind not in KINDS:
            raise ValueError(f"unknown AI job kind: {job.kind!r}")
        return job


def jobs_for(message: Message, members: Iterable[ChatMember]) -> list[AiJob]:
    """The AI jobs a stored message calls for: one per other member with AI on.

    AI-written messages may be advised on, never auto-answered: two autoreplying members
    would otherwise talk to each other forever.
    """
    return [
        AiJob(member.ai_mode, message.chat_id, message.id, member.user_id)
        for member in members
        if member.user_id != message.sender_id
        and (member.ai_mode == ADVICE or (member.ai_mode == AUTOREPLY and not message.ai_generated))
    ]
