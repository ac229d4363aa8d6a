"""The messenger's rules, one object used by REST routes, the `chat.send` handler and the AI engine.

Order of every send: persist, then deliver, then enqueue AI jobs. A message is acknowledged
only once it is in the database, so a client that reconnects and asks for `after_id` never
misses an acknowledged message, whatever happened to live delivery. Delivery and enqueueing
failures (Redis down) never undo or fail a stored message: live delivery is skipped (clients
catch up with `after_id`). AI jobs are written to the `ai_job_outbox` table in the message's
own transaction and leave it once on the Redis Stream, so neither a Redis outage nor an API
worker dying right after the commit loses one.

Frames reach users through `deliver`: the gateway's `send_to_users` in an API worker,
`app.ws.delivery.send_to_users` over the worker's hub in the AI worker process.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from databases import Database
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.config import Settings
from app.db.charges import TokenCharges
from app.db.sql import MAX_ID
from app.errors import DomainError, bad_request, not_found, too_many
from app.messenger import storage
from app.messenger.ai.jobs import AiJob, job_queue, jobs_for
from app.messenger.metrics import ai_jobs_parked, chat_messages
from app.messenger.schemas import Advice, Chat, ChatMember, Message
from app.ws.protocol import Frame

log = logging.getLogger("voxhub.messenger")

# One answer for every member id that cannot be added, whether it names nobody or a user who
# blocks the creator: the error must not tell which ids exist.
CANNOT_ADD = "member_ids include users who cannot be added"
# Blocks a user may keep (the table must not grow without bound).
MAX_BLOCKS = 1000
# The window of the per-sender and per-chat message limits.
LIMIT_WINDOW_SECONDS = 60.0
INSUFFICIENT_TOKENS = "Insufficient tokens"

Deliver = Callable[[Iterable[str], Frame], Awaitable[None]]
"""Sends one frame to every socket of the given users, on whichever worker holds them."""


def insufficient_tokens(balance: int) -> DomainError:
    """Accounts' 402 words: the member's balance cannot pay for AI work."""
    return DomainError(402, INSUFFICIENT_TOKENS, balance=balance)


class Messenger:
    def __init__(
        self,
        db: Database,
        redis: Redis,
        settings: Settings,
        deliver: Deliver,
        charges: TokenCharges,
    ) -> None:
        self.db = db
        self.settings = settings
        self.deliver = deliver
        self.charges = charges
        """AI work is paid from the tokens of the member it works for (accounts' ledger)."""
        self.jobs = job_queue(redis)

    @property
    def ai_configured(self) -> bool:
        return bool(self.settings.openai_api_key)

    # -- chats -----------------------------------------------------------------------------

    async def create_chat(
        self, creator_id: int, title: str | None, member_ids: Iterable[int]
    ) -> Chat:
        """A user who does not exist and one who blocks the creator get the one same error,
        naming no id: which ids exist cannot be learnt from it."""
        wanted = set(member_ids) | {creator_id}
        others = wanted - {creator_id}
        existing = await storage.existing_user_ids(self.db, others)
        blocking = await storage.users_blocking(self.db, creator_id, others)
        if existing != others or blocking:
            raise bad_request(CANNOT_ADD)
        chat_id = await storage.create_chat(self.db, title, creator_id, wanted)
        return await self.chat(chat_id, creator_id)

    async def leave(self, chat_id: int, user_id: int) -> None:
        """The member leaves; the others are told (`chat.member_left`). Nobody can put them
        back in this chat: members are only ever added when a chat is created."""
        await self.require_member(chat_id, user_id)
        remaining = await storage.leave_chat(self.db, chat_id, user_id)
        await self.send(
            remaining,
            {"type": "chat.member_left", "payload": {"chat_id": chat_id, "user_id": user_id}},
        )

    async def block(self, user_id: int, blocked_id: int) -> None:
        """`blocked_id` can no longer put `user_id` in a chat. An id that names nobody is
        accepted and stores nothing, so that blocking tells no more than creating a chat."""
        if blocked_id == user_id:
            raise bad_request("a user cannot block themselves")
        if not await storage.existing_user_ids(self.db, [blocked_id]):
            return
        if await storage.block_count(self.db, user_id) >= MAX_BLOCKS:
            raise bad_request(f"at most {MAX_BLOCKS} users can be blocked")
        await storage.block(self.db, user_id, blocked_id)

    async def unblock(self, user_id: int, blocked_id: int) -> None:
        await storage.unblock(self.db, user_id, blocked_id)

    async def blocked(self, user_id: int) -> list[int]:
        return await storage.blocked_ids(self.db, user_id)

    async def require_member(self, chat_id: int, user_id: int) -> ChatMember:
        """Non-members learn nothing, not even that the chat exists: 404 as for a missing one
        (an id outside what the database holds, as a negative one, is missing too)."""
        held = 0 < chat_id <= MAX_ID
        member = await storage.membership(self.db, chat_id, user_id) if held else None
        if member is None:
            raise not_found("chat not found")
        return member

    async def chat(self, chat_id: int, user_id: int) -> Chat:
        await self.require_member(chat_id, user_id)
        found = await storage.chats_by_id(self.db, [chat_id])
        if not found:
            raise not_found("chat not found")
        return found[0]

    async def chats(self, user_id: int, before_id: int | None, limit: int) -> list[Chat]:
        chat_ids = await storage.chat_ids_of_user(self.db, user_id, before_id, limit)
        return await storage.chats_by_id(self.db, chat_ids)

    async def set_ai_mode(self, chat_id: int, user_id: int, mode: str) -> Chat:
        """Turning AI on needs tokens to pay for it (402 otherwise) and a free AI seat in the
        chat: each message queues a model call per AI member, so they are few."""
        member = await self.require_member(chat_id, user_id)
        if mode != "off":
            if not self.ai_configured:
                raise DomainError(503, "AI is not configured")
            balance = await self.charges.balance(user_id) or 0
            if balance <= 0:
                raise insufficient_tokens(balance)
            cap = self.settings.ai_max_members_per_chat
            if member.ai_mode == "off" and await storage.ai_member_count(self.db, chat_id) >= cap:
                raise DomainError(409, f"at most {cap} members of a chat can have AI on")
        await storage.set_ai_mode(self.db, chat_id, user_id, mode)
        return await self.chat(chat_id, user_id)

    # -- messages --------------------------------------------------------------------------

    async def post_message(
        self, chat_id: int, sender_id: int, text: str, client_msg_id: str | None, source: str
    ) -> tuple[Message, bool]:
        """The stored message and whether it is new (False: a repeated `client_msg_id`)."""
        await self.require_member(chat_id, sender_id)
        if client_msg_id is not None:  # a retry is answered whatever the limits say now
            existing = await storage.message_by_client_id(self.db, sender_id, client_msg_id)
            if existing is not None:
                return self._replayed(existing, chat_id), False
        await self._limit(chat_id, sender_id)
        members = await storage.members_of(self.db, chat_id)
        message, created = await storage.insert_message_once(
            self.db, chat_id, sender_id, text, client_msg_id, self._ai_members(members)
        )
        if not created:
            return self._replayed(message, chat_id), False
        await self.announce(message, source, members)
        return message, True

    @staticmethod
    def _replayed(message: Message, chat_id: int) -> Message:
        if message.chat_id != chat_id:
            raise DomainError(409, "client_msg_id was already used in another chat")
        return message

    async def _limit(self, chat_id: int, sender_id: int) -> None:
        """CHAT_MESSAGES_PER_MINUTE per sender and CHAT_MESSAGES_PER_MINUTE_PER_CHAT per chat,
        over REST and /ws alike: every message may queue a paid model call per AI member.
        Counted from the stored messages themselves, so the limits hold, exactly, while Redis
        is down (messages are still taken then, their AI jobs parked)."""
        settings = self.settings
        if await storage.sent_within(
            self.db, "sender_id", sender_id, settings.chat_messages_per_minute, LIMIT_WINDOW_SECONDS
        ) or await storage.sent_within(
            self.db,
            "chat_id",
            chat_id,
            settings.chat_messages_per_minute_per_chat,
            LIMIT_WINDOW_SECONDS,
        ):
            raise too_many("too many messages; slow down", retry_after=60)

    async def post_ai_reply(self, job: AiJob, text: str, tokens: int) -> Message | None:
        """The autoreply written as `job`'s member, announced, paid; None if already answered."""
        members = await storage.members_of(self.db, job.chat_id)
        reply = await storage.store_autoreply(
            self.db, job, text, self._charge_for(job, tokens), self._ai_members(members)
        )
        if reply is not None:
            await self.announce(reply, "ai", members)
        return reply

    async def post_ai_advice(self, job: AiJob, text: str, tokens: int) -> Advice | None:
        """The advice for `job`'s member, sent to them alone, paid; None if already answered."""
        advice = await storage.store_advice(self.db, job, text, self._charge_for(job, tokens))
        if advice is not None:
            await self.send([job.user_id], {"type": "ai.advice", "payload": advice.model_dump()})
        return advice

    def _charge_for(self, job: AiJob, tokens: int) -> storage.Charge:
        """Charges `job`'s member the call's tokens, in the transaction storing its answer.
        The balance was checked before the call, but the call's cost is only known after it:
        a balance that no longer covers it pays what is left (down to 0, after which the
        member's next jobs are refused)."""

        async def charge() -> None:
            balance = await self.charges.balance(job.user_id) or 0
            amount = min(tokens, balance)
            if amount > 0:
                details = {
                    "ai": job.kind,
                    "chat_id": job.chat_id,
                    "message_id": job.message_id,
                    "tokens": tokens,
                }
                key = f"ai:{job.kind}:{job.message_id}"
                await self.charges.spend(job.user_id, amount, details, key)

        return charge

    async def can_pay(self, job: AiJob) -> bool:
        """Whether `job`'s member has tokens left; if not, they are told (`ai.error`) and the
        job is not run."""
        balance = await self.charges.balance(job.user_id) or 0
        if balance > 0:
            return True
        await self.send(
            [job.user_id],
            {
                "type": "ai.error",
                "payload": {
                    "chat_id": job.chat_id,
                    "message_id": job.message_id,
                    "kind": job.kind,
                    "code": "insufficient_tokens",
                    "message": INSUFFICIENT_TOKENS,
                },
            },
        )
        return False

    def _ai_members(self, members: list[ChatMember]) -> list[ChatMember]:
        """Members whose AI mode calls for jobs; none while AI is not configured."""
        return members if self.ai_configured else []

    async def announce(self, message: Message, source: str, members: list[ChatMember]) -> None:
        """Deliver a stored message to every member, then queue the AI jobs it parked."""
        chat_messages.labels(source).inc()
        await self.send(
            [member.user_id for member in members],
            {"type": "chat.message", "payload": message.model_dump()},
        )
        for job in jobs_for(message, self._ai_members(members)):
            try:
                await self._queue(job)
            except (RedisError, OSError) as exc:
                # Stored with its message: the AI workers' outbox sweep queues it later.
                log.warning("AI job for message %s stays parked: %s", job.message_id, exc)
                ai_jobs_parked.inc()

    async def _queue(self, job: AiJob) -> None:
        """Stream first, outbox row second: a crash in between queues the job twice, and the
        unique answer key makes the second a no-op."""
        await self.jobs.add(job.to_fields())
        await storage.unpark_ai_job(self.db, job)

    async def requeue_parked_jobs(self, older_than: float, limit: int = 100) -> int:
        """Queue jobs left parked (Redis was down, or their API worker died); how many moved."""
        parked = await storage.parked_ai_jobs(self.db, older_than, limit)
        for job in parked:
            await self._queue(job)
        return len(parked)

    async def send(self, user_ids: Iterable[int], frame: Frame) -> None:
        try:
            await self.deliver([str(user_id) for user_id in user_ids], frame)
        except (RedisError, OSError) as exc:
            # Stored already: clients catch up through `messages?after_id=`.
            log.warning("live delivery of %s failed: %s", frame.get("type"), exc)

    async def messages(
        self, chat_id: int, user_id: int, after_id: int | None, before_id: int | None, limit: int
    ) -> list[Message]:
        await self.require_member(chat_id, user_id)
        return await storage.message_page(self.db, chat_id, after_id, before_id, limit)

    async def advice(
        self, chat_id: int, user_id: int, after_id: int | None, limit: int
    ) -> list[Advice]:
        await self.require_member(chat_id, user_id)
        return await storage.advice_page(self.db, chat_id, user_id, after_id, limit)
