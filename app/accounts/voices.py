"""The user's Realtime voice: stored on the user, `ash` until they choose one.

Which voices a plan opens is the mini-app's own rule; the server accepts any of the ten.
"""

from __future__ import annotations

from databases import Database

from app.db.tables.base import utcnow
from app.db.tables.users import users

DEFAULT_VOICE = "ash"
# Voices that sound female: the model is asked to speak of itself in the feminine.
FEMININE_VOICES = frozenset({"marin", "coral", "shimmer"})


def voice_of(selected_voice: str | None) -> str:
    return selected_voice or DEFAULT_VOICE


async def set_voice(db: Database, user_id: int, voice: str) -> None:
    await db.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(selected_voice=voice, updated_at=utcnow())
    )
