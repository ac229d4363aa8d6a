"""User storage: lookups, password and Telegram sign-ups, the selected model, seed 000's User.

A new account starts with `DEFAULT_TOKEN_BALANCE`, written as a `signup` ledger row in the
same transaction so the ledger sums to the balance from the first moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from app.accounts import ledger
from app.accounts.metrics import tokens_credited
from app.db.errors import is_unique_violation
from app.db.sql import insert_ignoring_conflicts
from app.db.tables.base import isoformat, utcnow
from app.db.tables.users import users
from app.errors import not_found

PUBLIC_FIELDS = (
    "id",
    "telegram_id",
    "username",
    "first_name",
    "last_name",
    "language_code",
    "selected_model",
    "balance",
    "role",
)


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    """What Telegram tells us about a user (initData's `user`, or seed 000's POST body).

    `is_premium` is None when the source cannot know it (a POST body): the stored value stays.
    """

    telegram_id: int
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_premium: bool | None = None

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "language_code": self.language_code,
        }
        if self.is_premium is not None:
            fields["is_premium"] = self.is_premium
        return fields


# Column widths of the profile fields a Telegram user object may carry.
PROFILE_LIMITS = (("username", 64), ("first_name", 128), ("last_name", 128), ("language_code", 16))


def telegram_profile(user: dict[str, Any]) -> TelegramProfile:
    """The profile in a verified initData `user` object, cut to the columns' widths."""
    return TelegramProfile(
        telegram_id=user["id"],
        is_premium=user.get("is_premium") is True,
        **{
            name: str(user[name])[:limit] if user.get(name) else None
            for name, limit in PROFILE_LIMITS
        },
    )


def serialize_user(row: Record) -> dict[str, Any]:
    user = {name: row[name] for name in PUBLIC_FIELDS}
    user["created_at"] = isoformat(row["created_at"])
    user["updated_at"] = isoformat(row["updated_at"])
    return user


def serialize_miniapp_user(row: Record) -> dict[str, Any]:
    """Seed 000's User: the mini-app reads the Telegram id as a string (JavaScript numbers
    lose digits past 2**53) and the balance as `token_balance`."""
    telegram_id = row["telegram_id"]
    return {
        "id": row["id"],
        "telegram_id": None if telegram_id is None else str(telegram_id),
        "username": row["username"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "language_code": row["language_code"],
        "is_premium": bool(row["is_premium"]),
        "token_balance": row["balance"],
        "selected_model": row["selected_model"],
        "selected_voice": row["selected_voice"],
        "selected_prompt_id": row["selected_prompt_id"],
        "created_at": isoformat(row["created_at"]),
        "updated_at": isoformat(row["updated_at"]),
        "last_active": isoformat(row["last_active"]),
    }


async def find_user(db: Database, **where: Any) -> Record | None:
    """One user by a unique column: `id`, `telegram_id` or `username`."""
    ((column, value),) = where.items()
    return await db.fetch_one(sa.select(users).where(users.c[column] == value))


async def _grant_signup_balance(db: Database, user_id: int, balance: int) -> None:
    if balance > 0:
        await ledger.append(db, user_id, balance, balance, "signup")


async def create_password_user(
    db: Database, username: str, password_hash: str, balance: int
) -> Record | None:
    """The new user, or None when the username is taken (decided by the unique index)."""
    async with db.transaction():
        user_id = await db.fetch_val(
            insert_ignoring_conflicts(db, users, "username")
            .values(username=username, password_hash=password_hash, balance=balance)
            .returning(users.c.id)
        )
        if user_id is None:
            return None
        await _grant_signup_balance(db, user_id, balance)
    if balance > 0:
        tokens_credited.labels("signup").inc(balance)
    return await find_user(db, id=user_id)


async def _free_username(db: Database, profile: TelegramProfile) -> str | None:
    """Telegram usernames are shown, not trusted: one taken by another account is not copied."""
    if not profile.username:
        return None
    owner = await find_user(db, username=profile.username)
    if owner is not None and owner["telegram_id"] != profile.telegram_id:
        return None
    return profile.username


async def upsert_telegram_user(db: Database, profile: TelegramProfile, balance: int) -> Record:
    """Create the user on first sight (with the sign-up balance), else refresh the profile.

    Two Telegram accounts may race for the same free username: the loser of the unique index
    is written without one rather than failing its login.
    """
    username = await _free_username(db, profile)
    try:
        created = await _write_telegram_user(db, profile, username, balance)
    except Exception as exc:
        if username is None or not is_unique_violation(exc):
            raise
        created = await _write_telegram_user(db, profile, None, balance)
    if created and balance > 0:
        tokens_credited.labels("signup").inc(balance)
    row = await find_user(db, telegram_id=profile.telegram_id)
    assert row is not None  # just written by _write_telegram_user
    return row


async def _write_telegram_user(
    db: Database, profile: TelegramProfile, username: str | None, balance: int
) -> bool:
    """Insert or refresh in one transaction; True when the user was created."""
    async with db.transaction():
        user_id = await db.fetch_val(
            insert_ignoring_conflicts(db, users, "telegram_id")
            .values(
                telegram_id=profile.telegram_id,
                username=username,
                balance=balance,
                **profile.fields(),
            )
            .returning(users.c.id)
        )
        if user_id is not None:
            await _grant_signup_balance(db, user_id, balance)
            return True
        now = utcnow()
        values = {**profile.fields(), "updated_at": now, "last_active": now}
        if username:
            values["username"] = username
        await db.execute(
            users.update().where(users.c.telegram_id == profile.telegram_id).values(**values)
        )
        return False


async def set_selected_model(db: Database, user_id: int, model: str) -> None:
    """404 for a missing user, decided by the UPDATE itself."""
    updated = await db.fetch_val(
        users.update()
        .where(users.c.id == user_id)
        .values(selected_model=model, updated_at=utcnow())
        .returning(users.c.id)
    )
    if updated is None:
        raise not_found("user not found")
