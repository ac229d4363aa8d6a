"""accounts: seed 000's prompts (base prompts by plan level), history fields, activity, sessions

Revision ID: 0008_miniapp_prompts
Revises: 0006_miniapp_users
Create Date: 2026-11-29

The mini-app's prompts are a catalogue: base prompts (no owner, `is_base`, gated by
`plan_required` 1-3) beside each user's own ones (`plan_required` 0), soft-deleted through
`is_active`. Which prompt is in use is now `users.selected_prompt_id`, so the old per-prompt
`is_selected` flag moves there (a user's newest selected prompt) before it is dropped. The
conversation history takes the original's column names (`message_type`, `session_id`,
`audio_duration_seconds`); existing rows keep their role as their type. `user_activity` and
`voice_sessions` are the profile page's activity log and session statistics.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008_miniapp_prompts"
down_revision: str | Sequence[str] | None = "0006_miniapp_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The lowest id at plan level 1 is the default assistant: deleting a selected prompt falls
# back to it.
BASE_PROMPTS: list[dict[str, Any]] = [
    {
        "title": "Голосовой ассистент",
        "description": "Дружелюбный помощник на каждый день",
        "content": (
            "Ты дружелюбный голосовой ассистент. Говори естественно, внимательно слушай "
            "и отвечай коротко и по делу."
        ),
        "category": "general",
        "voice_gender": None,
        "plan_required": 1,
    },
    {
        "title": "Собеседник",
        "description": "Непринуждённый разговор обо всём",
        "content": (
            "Ты тёплый и любознательный собеседник. Поддерживай разговор, задавай встречные "
            "вопросы и делись интересными мыслями."
        ),
        "category": "casual",
        "voice_gender": None,
        "plan_required": 1,
    },
    {
        "title": "Репетитор английского",
        "description": "Разговорная практика с исправлением ошибок",
        "content": (
            "You are a patient English tutor. Speak simple English, gently correct the "
            "learner's mistakes and ask one question at a time."
        ),
        "category": "education",
        "voice_gender": None,
        "plan_required": 2,
    },
    {
        "title": "Психолог-слушатель",
        "description": "Бережная поддержка и активное слушание",
        "content": (
            "Ты внимательный психолог-слушатель. Помогай собеседнику разобраться в чувствах, "
            "не ставь диагнозов и при серьёзных проблемах советуй обратиться к специалисту."
        ),
        "category": "wellbeing",
        "voice_gender": "female",
        "plan_required": 2,
    },
    {
        "title": "Бизнес-коуч",
        "description": "Цели, решения и переговоры",
        "content": (
            "Ты опытный бизнес-коуч. Помогай ставить цели, разбирать решения и готовиться "
            "к переговорам; задавай уточняющие вопросы."
        ),
        "category": "business",
        "voice_gender": "male",
        "plan_required": 3,
    },
    {
        "title": "Рассказчица историй",
        "description": "Интерактивные истории по вашему выбору",
        "content": (
            "Ты рассказчица интерактивных историй. Сочиняй живые истории и время от времени "
            "спрашивай слушателя, как продолжить сюжет."
        ),
        "category": "entertainment",
        "voice_gender": "female",
        "plan_required": 3,
    },
]

prompts = sa.table(
    "prompts",
    sa.column("id", sa.BigInteger),
    sa.column("user_id", sa.BigInteger),
    sa.column("title", sa.String),
    sa.column("description", sa.Text),
    sa.column("content", sa.Text),
    sa.column("category", sa.String),
    sa.column("voice_gender", sa.String),
    sa.column("plan_required", sa.Integer),
    sa.column("is_base", sa.Boolean),
    sa.column("is_active", sa.Boolean),
    sa.column("is_selected", sa.Boolean),
)
users = sa.table("users", sa.column("id", sa.BigInteger), sa.column("selected_prompt_id"))


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _create_owned_table(name: str, *columns: sa.Column) -> None:
    """A table of rows that belong to one user: id, indexed user_id, columns, created_at."""
    op.create_table(
        name,
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "user_id",
            BigId,
            sa.ForeignKey("users.id", name=f"fk_{name}_user_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        *columns,
        _created_at(),
    )
    op.create_index(f"ix_{name}_user_id", name, ["user_id"])


def _own_selected_prompt() -> sa.ScalarSelect:
    return (
        sa.select(prompts.c.id)
        .where(prompts.c.user_id == users.c.id, prompts.c.is_selected == sa.true())
        .order_by(prompts.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a table's columns in place.
    with op.batch_alter_table("prompts") as table:
        table.alter_column("user_id", existing_type=BigId, nullable=True)
        table.alter_column("name", new_column_name="title", existing_type=sa.String(128))
        table.add_column(sa.Column("description", sa.Text))
        table.add_column(sa.Column("category", sa.String(64)))
        table.add_column(sa.Column("voice_gender", sa.String(16)))
        table.add_column(sa.Column("plan_required", sa.Integer, nullable=False, server_default="0"))
        table.add_column(
            sa.Column("is_base", sa.Boolean, nullable=False, server_default=sa.false())
        )
        table.add_column(
            sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true())
        )
    op.execute(
        users.update()
        .where(users.c.selected_prompt_id.is_(None), _own_selected_prompt().is_not(None))
        .values(selected_prompt_id=_own_selected_prompt())
    )
    with op.batch_alter_table("prompts") as table:
        table.drop_column("is_selected")
    op.bulk_insert(
        prompts,
        [
            {**prompt, "user_id": None, "is_base": True, "is_active": True}
            for prompt in BASE_PROMPTS
        ],
    )

    with op.batch_alter_table("conversation_messages") as table:
        table.alter_column("role", new_column_name="message_type", existing_type=sa.String(16))
        table.add_column(sa.Column("session_id", sa.BigInteger))
        table.add_column(
            sa.Column("audio_duration_seconds", sa.Integer, nullable=False, server_default="0")
        )

    _create_owned_table(
        "user_activity",
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("metadata", sa.Text),
        sa.Column("ip_address", sa.String(64)),
        sa.Column("user_agent", sa.String(512)),
    )
    _create_owned_table(
        "voice_sessions",
        sa.Column("words_spoken", sa.Integer, nullable=False, server_default="0"),
        sa.Column("ai_responses", sa.Integer, nullable=False, server_default="0"),
        sa.Column("session_quality", sa.Float),
        sa.Column("context_summary", sa.Text),
        sa.Column("last_conversation_topic", sa.String(255)),
    )


def downgrade() -> None:
    op.drop_table("voice_sessions")
    op.drop_table("user_activity")
    with op.batch_alter_table("conversation_messages") as table:
        table.drop_column("audio_duration_seconds")
        table.drop_column("session_id")
        table.alter_column("message_type", new_column_name="role", existing_type=sa.String(16))

    # Base prompts have no owner, and the old table had no room for them.
    op.execute(prompts.delete().where(prompts.c.user_id.is_(None)))
    with op.batch_alter_table("prompts") as table:
        table.add_column(
            sa.Column("is_selected", sa.Boolean, nullable=False, server_default=sa.false())
        )
    selected = sa.select(users.c.selected_prompt_id).where(users.c.id == prompts.c.user_id)
    op.execute(
        prompts.update()
        .where(prompts.c.id == selected.scalar_subquery(), prompts.c.is_active == sa.true())
        .values(is_selected=True)
    )
    op.execute(prompts.delete().where(prompts.c.is_active == sa.false()))
    with op.batch_alter_table("prompts") as table:
        for column in (
            "is_active",
            "is_base",
            "plan_required",
            "voice_gender",
            "category",
            "description",
        ):
            table.drop_column(column)
        table.alter_column("title", new_column_name="name", existing_type=sa.String(128))
        table.alter_column("user_id", existing_type=BigId, nullable=False)
