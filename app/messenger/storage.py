"""Messenger queries (SQLAlchemy Core through `databases`), returning the domain's models.

Both API workers and AI workers use these; nothing here knows about HTTP or WebSockets.
Timestamps are written explicitly (`utcnow()`) because `databases` applies no Python-side
defaults, and ids come from the database so that ordering by id is ordering by arrival.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.db.errors import is_unique_violation
from app.db.sql import insert_ignoring_conflicts
from app.db.tables.base import isoformat, utcnow
from app.db.tables.messenger import (
    ai_answers,
    ai_job_outbox,
    chat_blocks,
    chat_members,
    chats,
    messages,
)
from app.db.tables.users import users
from app.messenger.ai.jobs import ADVICE, AiJob, jobs_for
from app.messenger.schemas import Advice, Chat, ChatMember, Message

Row = Record | Mapping[str, Any]
Charge = Callable[[], Awaitable[Any]]
"""Pays for an AI answer, in the transaction that stores it (see `Messenger.charge_for`)."""


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One message as the AI reads it: who wrote it (a name when the user has one)."""

    id: int
    sender_id: int
    author: str | None
    text: str


def message_of(row: Row) -> Message:
    # Rows come from the database: their types hold, no validation needed.
    return Message.model_construct(
        id=row["id"],
        chat_id=row["chat_id"],
        sender_id=row["sender_id"],
        text=row["text"],
        ai_generated=bool(row["ai_generated"]),
        client_msg_id=row["client_msg_id"],
        created_at=isoformat(row["created_at"]),
    )


def advice_of(row: Row) -> Advice:
    return Advice.model_construct(
        id=row["id"],
        chat_id=row["chat_id"],
        message_id=row["source_message_id"],
        text=row["text"],
        created_at=isoformat(row["created_at"]),
    )


def member_of(row: Row) -> ChatMember:
    return ChatMember.model_construct(user_id=row["user_id"], ai_mode=row["ai_mode"])


# -- users and chats ---------------------------------------------------------------------------


async def existing_user_ids(db: Database, user_ids: Iterable[int]) -> set[int]:
    wanted = list(set(user_ids))
    if not wanted:
        return set()
    rows = await db.fetch_all(sa.select(users.c.id).where(users.c.id.in_(wanted)))
    return {row["id"] for row in rows}


async def create_chat(
    db: Database, title: str | None, creator_id: int, member_ids: Iterable[int]
) -> int:
    async with db.transaction():
        chat_id = await db.execute(
            chats.insert().values(title=title, created_by=creator_id, created_at=utcnow())
        )
        now = utcnow()
        await db.execute_many(
            chat_members.insert(),
            [
                {"chat_id": chat_id, "user_id": user_id, "ai_mode": "off", "created_at": now}
                for user_id in sorted(set(member_ids))
            ],
        )
    return chat_id


async def members_of(db: Database, chat_id: int) -> list[ChatMember]:
    rows = await db.fetch_all(
        sa.select(chat_members.c.user_id, chat_members.c.ai_mode)
        .where(chat_members.c.chat_id == chat_id)
        .order_by(chat_members.c.user_id)
    )
    return [member_of(row) for row in rows]


async def membership(db: Database, chat_id: int, user_id: int) -> ChatMember | None:
    row = await db.fetch_one(
        sa.select(chat_members.c.user_id, chat_members.c.ai_mode).where(
            chat_members.c.chat_id == chat_id, chat_members.c.user_id == user_id
        )
    )
    return member_of(row) if row else None


async def chats_by_id(db: Database, chat_ids: list[int]) -> list[Chat]:
    """Chats with their members in two queries, in the order of `chat_ids`."""
    if not chat_ids:
        return []
    chat_rows = await db.fetch_all(sa.select(chats).where(chats.c.id.in_(chat_ids)))
    member_rows = await db.fetch_all(
        sa.select(chat_members.c.chat_id, chat_members.c.user_id, chat_members.c.ai_mode)
        .where(chat_members.c.chat_id.in_(chat_ids))
        .order_by(chat_members.c.user_id)
    )
    members: dict[int, list[ChatMember]] = {}
    for row in member_rows:
        members.setdefault(row["chat_id"], []).append(member_of(row))
    by_id = {
        row["id"]: Chat.model_construct(
            id=row["id"],
            title=row["title"],
            members=members.get(row["id"], []),
            created_at=isoformat(row["created_at"]),
        )
        for row in chat_rows
    }
    return [by_id[chat_id] for chat_id in chat_ids if chat_id in by_id]


async def chat_ids_of_user(
    db: Database, user_id: int, before_id: int | None, limit: int
) -> list[int]:
    """A page of the user's chats, newest first: the `limit` below `before_id`."""
    query = sa.select(chat_members.c.chat_id).where(chat_members.c.user_id == user_id)
    if before_id is not None:
        query = query.where(chat_members.c.chat_id < before_id)
    rows = await db.fetch_all(query.order_by(chat_members.c.chat_id.desc()).limit(limit))
    return [row["chat_id"] for row in rows]


async def leave_chat(db: Database, chat_id: int, user_id: int) -> list[int]:
    """Removes the member; a chat left by its last member goes, with its messages. Answers
    the members who remain."""
    async with db.transaction():
        await db.execute(
            chat_members.delete().where(
                chat_members.c.chat_id == chat_id, chat_members.c.user_id == user_id
            )
        )
        remaining = [member.user_id for member in await members_of(db, chat_id)]
        if not remaining:
            await db.execute(chats.delete().where(chats.c.id == chat_id))
    return remaining


async def users_blocking(db: Database, blocked_id: int, user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` block `blocked_id`."""
    wanted = list(set(user_ids))
    if not wanted:
        return set()
    rows = await db.fetch_all(
        sa.select(chat_blocks.c.user_id).where(
            chat_blocks.c.blocked_id == blocked_id, chat_blocks.c.user_id.in_(wanted)
        )
    )
    return {row["user_id"] for row in rows}


async def block_count(db: Database, user_id: int) -> int:
    query = sa.select(sa.func.count()).where(chat_blocks.c.user_id == user_id)
    return int(await db.fetch_val(query) or 0)


async def block(db: Database, user_id: int, blocked_id: int) -> None:
    """Blocking twice keeps one row."""
    await db.execute(
        insert_ignoring_conflicts(db, chat_blocks, "user_id", "blocked_id").values(
            user_id=user_id, blocked_id=blocked_id, created_at=utcnow()
        )
    )


async def unblock(db: Database, user_id: int, blocked_id: int) -> None:
    await db.execute(
        chat_blocks.delete().where(
            chat_blocks.c.user_id == user_id, chat_blocks.c.blocked_id == blocked_id
        )
    )


async def blocked_ids(db: Database, user_id: int) -> list[int]:
    rows = await db.fetch_all(
        sa.select(chat_blocks.c.blocked_id)
        .where(chat_blocks.c.user_id == user_id)
        .order_by(chat_blocks.c.blocked_id)
    )
    return [row["blocked_id"] for row in rows]


async def ai_member_count(db: Database, chat_id: int) -> int:
    """Members of the chat whose AI is on (advice or autoreply)."""
    query = sa.select(sa.func.count()).where(
        chat_members.c.chat_id == chat_id, chat_members.c.ai_mode != "off"
    )
    return int(await db.fetch_val(query) or 0)


async def set_ai_mode(db: Database, chat_id: int, user_id: int, mode: str) -> None:
    await db.execute(
        chat_members.update()
        .where(chat_members.c.chat_id == chat_id, chat_members.c.user_id == user_id)
        .values(ai_mode=mode)
    )


# -- messages ----------------------------------------------------------------------------------


async def message_by_client_id(db: Database, sender_id: int, client_msg_id: str) -> Message | None:
    row = await db.fetch_one(
        sa.select(messages).where(
            messages.c.sender_id == sender_id, messages.c.client_msg_id == client_msg_id
        )
    )
    return message_of(row) if row else None


async def insert_message(
    db: Database,
    chat_id: int,
    sender_id: int,
    text: str,
    *,
    ai_generated: bool = False,
    client_msg_id: str | None = None,
    ai_members: Sequence[ChatMember] = (),
) -> Message:
    """Insert a message and park the AI jobs it calls for among `ai_members`, atomically:
    a worker dying after the commit leaves the jobs in the outbox, never lost."""
    values = {
        "chat_id": chat_id,
        "sender_id": sender_id,
        "text": text,
        "ai_generated": ai_generated,
        "client_msg_id": client_msg_id,
        "created_at": utcnow(),
    }
    async with db.transaction():
        message_id = await db.execute(messages.insert().values(**values))
        message = message_of({"id": message_id, **values})
        for job in jobs_for(message, ai_members):
            await park_ai_job(db, job)
    return message


async def insert_message_once(
    db: Database,
    chat_id: int,
    sender_id: int,
    text: str,
    client_msg_id: str | None,
    ai_members: Sequence[ChatMember] = (),
) -> tuple[Message, bool]:
    """The sender's message for `client_msg_id`, inserting it only if it is new.

    The unique constraint decides races between two sends of the same id (two sockets, a
    retry crossing the first attempt); the loser reads the winner's row.
    """
    if client_msg_id is not None:
        existing = await message_by_client_id(db, sender_id, client_msg_id)
        if existing:
            return existing, False
    try:
        return (
            await insert_message(
                db, chat_id, sender_id, text, client_msg_id=client_msg_id, ai_members=ai_members
            ),
            True,
        )
    except Exception as exc:
        if client_msg_id is None or not is_unique_violation(exc):
            raise
    existing = await message_by_client_id(db, sender_id, client_msg_id)
    if existing is None:
        raise RuntimeError("client_msg_id conflict without a stored message")
    return existing, False


async def sent_within(
    db: Database, by: Literal["sender_id", "chat_id"], value: int, count: int, seconds: float
) -> bool:
    """Whether `count` messages of this sender or chat (AI answers aside) were written in the
    last `seconds`: the `count`-th newest within the window exists. Reads at most `count`
    index entries (messages by sender, or by chat, newest first)."""
    cutoff = utcnow() - timedelta(seconds=seconds)
    query = (
        sa.select(messages.c.id)
        .where(
            messages.c[by] == value,
            messages.c.ai_generated.is_(False),
            messages.c.created_at > cutoff,
        )
        .order_by(messages.c.id.desc())
        .offset(count - 1)
        .limit(1)
    )
    return await db.fetch_one(query) is not None


async def message_page(
    db: Database, chat_id: int, after_id: int | None, before_id: int | None, limit: int
) -> list[Message]:
    """Oldest first. With `after_id` the page starts right after it (reconnect backfill);
    otherwise it is the newest `limit` messages before `before_id` (scrolling back)."""
    query = sa.select(messages).where(messages.c.chat_id == chat_id)
    if after_id is not None:
        query = query.where(messages.c.id > after_id)
    if before_id is not None:
        query = query.where(messages.c.id < before_id)
    if after_id is not None:
        rows = await db.fetch_all(query.order_by(messages.c.id).limit(limit))
        return [message_of(row) for row in rows]
    rows = await db.fetch_all(query.order_by(messages.c.id.desc()).limit(limit))
    return [message_of(row) for row in reversed(rows)]


async def transcript_before(
    db: Database, chat_id: int, up_to_id: int, limit: int
) -> list[TranscriptLine]:
    """The last `limit` messages up to and including `up_to_id`, with author names."""
    rows = await db.fetch_all(
        sa.select(
            messages.c.id,
            messages.c.sender_id,
            messages.c.text,
            users.c.username,
            users.c.first_name,
        )
        .select_from(messages.outerjoin(users, users.c.id == messages.c.sender_id))
        .where(messages.c.chat_id == chat_id, messages.c.id <= up_to_id)
        .order_by(messages.c.id.desc())
        .limit(limit)
    )
    return [
        TranscriptLine(
            row["id"], row["sender_id"], row["first_name"] or row["username"] or None, row["text"]
        )
        for row in reversed(rows)
    ]


# -- AI answers --------------------------------------------------------------------------------


def _job_key(job: AiJob) -> sa.ColumnElement[bool]:
    return sa.and_(
        ai_answers.c.source_message_id == job.message_id,
        ai_answers.c.user_id == job.user_id,
        ai_answers.c.kind == job.kind,
    )


async def ai_answered(db: Database, job: AiJob) -> bool:
    return await db.fetch_one(sa.select(ai_answers.c.id).where(_job_key(job))) is not None


def _answer_values(job: AiJob, text: str, reply_message_id: int | None = None) -> dict[str, Any]:
    return {
        "kind": job.kind,
        "chat_id": job.chat_id,
        "source_message_id": job.message_id,
        "user_id": job.user_id,
        "text": text,
        "reply_message_id": reply_message_id,
        "created_at": utcnow(),
    }


async def store_advice(db: Database, job: AiJob, text: str, charge: Charge) -> Advice | None:
    """The stored advice, or None when this job was already answered; paid for by `charge`
    in the same transaction (an answer stored twice is neither stored nor charged again)."""
    values = _answer_values(job, text)
    try:
        async with db.transaction():
            advice_id = await db.execute(ai_answers.insert().values(**values))
            await charge()
    except Exception as exc:
        if is_unique_violation(exc):
            return None
        raise
    return advice_of({"id": advice_id, **values})


async def store_autoreply(
    db: Database, job: AiJob, text: str, charge: Charge, ai_members: Sequence[ChatMember] = ()
) -> Message | None:
    """The reply message written as the member, or None when this job was already answered.

    The message, its job key and its `charge` commit together: a losing racer leaves no
    orphan message and pays nothing.
    """
    try:
        async with db.transaction():
            message = await insert_message(
                db, job.chat_id, job.user_id, text, ai_generated=True, ai_members=ai_members
            )
            await db.execute(ai_answers.insert().values(**_answer_values(job, text, message.id)))
            await charge()
    except Exception as exc:
        if is_unique_violation(exc):
            return None
        raise
    return message


async def advice_page(
    db: Database, chat_id: int, user_id: int, after_id: int | None, limit: int
) -> list[Advice]:
    query = sa.select(ai_answers).where(
        ai_answers.c.chat_id == chat_id,
        ai_answers.c.user_id == user_id,
        ai_answers.c.kind == ADVICE,
    )
    if after_id is not None:
        query = query.where(ai_answers.c.id > after_id)
    rows = await db.fetch_all(query.order_by(ai_answers.c.id).limit(limit))
    return [advice_of(row) for row in rows]


async def park_ai_job(db: Database, job: AiJob) -> None:
    """Keep a job until it is on the stream; parking the same job twice keeps one row."""
    await db.execute(
        insert_ignoring_conflicts(db, ai_job_outbox, "message_id", "user_id", "kind").values(
            kind=job.kind,
            chat_id=job.chat_id,
            message_id=job.message_id,
            user_id=job.user_id,
            created_at=utcnow(),
        )
    )


async def parked_ai_jobs(db: Database, older_than: float, limit: int) -> list[AiJob]:
    """Jobs parked at least `older_than` seconds ago: younger ones are still being queued by
    the API worker that stored their message."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    rows = await db.fetch_all(
        sa.select(ai_job_outbox)
        .where(ai_job_outbox.c.created_at < cutoff)
        .order_by(ai_job_outbox.c.id)
        .limit(limit)
    )
    return [AiJob(row["kind"], row["chat_id"], row["message_id"], row["user_id"]) for row in rows]


async def unpark_ai_job(db: Database, job: AiJob) -> None:
    await db.execute(
        ai_job_outbox.delete().where(
            (ai_job_outbox.c.message_id == job.message_id)
            & (ai_job_outbox.c.user_id == job.user_id)
            & (ai_job_outbox.c.kind == job.kind)
        )
    )
