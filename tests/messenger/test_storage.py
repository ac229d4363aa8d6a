"""Messenger storage on SQLite and PostgreSQL: idempotent sends, pages, one answer per job."""

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from databases import Database

from app.config import Settings
from app.db import connect_database
from app.db.migrate import migrate
from app.db.tables.messenger import ai_answers, messages
from app.db.tables.users import users
from app.messenger import storage
from app.messenger.ai.jobs import ADVICE, AUTOREPLY, AiJob


async def _free() -> None:
    """An AI answer's charge where none is the point of the test."""


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    settings = Settings.from_env({"DATABASE_URL": database_url}, dotenv=False)
    await asyncio.to_thread(migrate, settings)
    database = await connect_database(settings)
    yield database
    await database.disconnect()


async def _chat(db: Database) -> tuple[int, int, int]:
    ada = await db.execute(users.insert().values(username="ada"))
    bob = await db.execute(users.insert().values(username="bob"))
    return await storage.create_chat(db, "pair", ada, [ada, bob]), ada, bob


async def test_client_msg_id_is_idempotent_per_sender(db: Database) -> None:
    chat_id, ada, bob = await _chat(db)
    first, created = await storage.insert_message_once(db, chat_id, ada, "hi", "c-1")
    again, created_again = await storage.insert_message_once(db, chat_id, ada, "hi!", "c-1")
    assert created and not created_again and again == first
    other, created_other = await storage.insert_message_once(db, chat_id, bob, "yo", "c-1")
    assert created_other and other.id != first.id  # another sender, same id: fine
    # A race past the pre-check is decided by the unique constraint, never a duplicate row.
    racing = await asyncio.gather(
        *(storage.insert_message_once(db, chat_id, ada, "race", "c-2") for _ in range(4))
    )
    assert len({message.id for message, _ in racing}) == 1
    assert sum(created for _, created in racing) == 1
    count = await db.fetch_val(
        sa.select(sa.func.count()).select_from(messages).where(messages.c.client_msg_id == "c-2")
    )
    assert count == 1


async def test_pages_are_oldest_first_with_cursors(db: Database) -> None:
    chat_id, ada, _bob = await _chat(db)
    ids = [(await storage.insert_message(db, chat_id, ada, f"m{i}")).id for i in range(7)]
    latest = await storage.message_page(db, chat_id, None, None, 3)
    assert [m.id for m in latest] == ids[-3:]
    after = await storage.message_page(db, chat_id, ids[1], None, 3)
    assert [m.id for m in after] == ids[2:5]
    before = await storage.message_page(db, chat_id, None, ids[4], 2)
    assert [m.id for m in before] == ids[2:4]
    between = await storage.message_page(db, chat_id, ids[0], ids[3], 50)
    assert [m.id for m in between] == ids[1:3]
    assert latest[0].created_at.endswith("Z") and latest[0].ai_generated is False


async def test_each_ai_job_is_answered_once(db: Database) -> None:
    chat_id, ada, bob = await _chat(db)
    source = await storage.insert_message(db, chat_id, ada, "question")
    advice_job = AiJob(ADVICE, chat_id, source.id, bob)
    assert not await storage.ai_answered(db, advice_job)
    charged: list[str] = []

    async def charge() -> None:
        charged.append("paid")

    advice = await storage.store_advice(db, advice_job, "say yes", charge)
    assert advice and advice.message_id == source.id
    assert await storage.store_advice(db, advice_job, "say no", charge) is None
    assert charged == ["paid"]  # the duplicate is neither stored nor charged
    assert await storage.ai_answered(db, advice_job)
    assert [a.text for a in await storage.advice_page(db, chat_id, bob, None, 50)] == ["say yes"]
    assert await storage.advice_page(db, chat_id, ada, None, 50) == []

    reply_job = AiJob(AUTOREPLY, chat_id, source.id, bob)
    reply = await storage.store_autoreply(db, reply_job, "yes", charge)
    assert reply and reply.sender_id == bob and reply.ai_generated is True
    assert await storage.store_autoreply(db, reply_job, "again", charge) is None
    assert charged == ["paid", "paid"]
    # The losing attempt's message was rolled back with its job key.
    texts = [m.text for m in await storage.message_page(db, chat_id, None, None, 50)]
    assert texts == ["question", "yes"]
    assert await db.fetch_val(sa.select(sa.func.count()).select_from(ai_answers)) == 2


async def test_a_message_and_its_ai_jobs_commit_together(db: Database) -> None:
    """The jobs are in the outbox the moment the message is: nothing else has to run for a
    worker that dies right after the commit to lose nothing."""
    chat_id, ada, bob = await _chat(db)
    await storage.set_ai_mode(db, chat_id, bob, ADVICE)
    members = await storage.members_of(db, chat_id)
    message, created = await storage.insert_message_once(db, chat_id, ada, "hi", None, members)
    assert created
    assert await storage.parked_ai_jobs(db, older_than=-60, limit=10) == [
        AiJob(ADVICE, chat_id, message.id, bob)
    ]
    # Not yet old enough for the sweep: the API worker that stored it is queueing it.
    assert await storage.parked_ai_jobs(db, older_than=60, limit=10) == []
    await storage.unpark_ai_job(db, AiJob(ADVICE, chat_id, message.id, bob))
    assert await storage.parked_ai_jobs(db, older_than=-60, limit=10) == []
    # An AI-written message is advised on (bob), never auto-answered.
    await storage.set_ai_mode(db, chat_id, ada, AUTOREPLY)
    members = await storage.members_of(db, chat_id)
    job = AiJob(AUTOREPLY, chat_id, message.id, ada)  # ada's AI replies in her name
    reply = await storage.store_autoreply(db, job, "an AI reply", _free, members)
    assert reply is not None
    assert await storage.parked_ai_jobs(db, older_than=-60, limit=10) == [
        AiJob(ADVICE, chat_id, reply.id, bob)
    ]
