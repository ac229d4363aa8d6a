"""accounts: seed 000's plans (level, features, the original's three) and subscription status

Revision ID: 0007_miniapp_plans
Revises: 0006_miniapp_users
Create Date: 2026-11-29

The mini-app derives a plan's level from its name, so the seeded plans take the original's
names (`Базовый`, `Премиум`, `Про`). They are renamed in place rather than replaced: existing
subscriptions keep pointing at the same rows. A subscription now has a `status` (`active`,
`expired`, `cancelled`): buying a plan cancels the previous one, and spending a plan's tokens
expires it, before its `end_date`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_miniapp_plans"
down_revision: str | Sequence[str] | None = "0006_miniapp_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (the name 0002 seeded, its new values); features are a JSON list of strings.
SEED_PLANS = [
    (
        "Starter",
        {
            "name": "Базовый",
            "description": "Около часа голосового общения в месяц",
            "level": 1,
            "features": '["100 000 токенов", "Базовые промпты", "Все голоса"]',
        },
    ),
    (
        "Pro",
        {
            "name": "Премиум",
            "description": "Ежедневная голосовая практика в течение месяца",
            "level": 2,
            "features": '["400 000 токенов", "Промпты уровня Премиум", "До 3 своих промптов"]',
        },
    ),
    (
        "Annual",
        {
            "name": "Про",
            "description": "Год голосового общения",
            "level": 3,
            "features": '["5 000 000 токенов", "Все промпты", "Свои промпты без ограничений"]',
        },
    ),
]

plans = sa.table(
    "plans",
    sa.column("name", sa.String),
    sa.column("description", sa.Text),
    sa.column("level", sa.Integer),
    sa.column("features", sa.Text),
)


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a table's columns in place.
    with op.batch_alter_table("plans") as table:
        table.add_column(sa.Column("level", sa.Integer, nullable=False, server_default="1"))
        table.add_column(sa.Column("features", sa.Text, nullable=False, server_default="[]"))
    for old_name, values in SEED_PLANS:
        op.execute(plans.update().where(plans.c.name == old_name).values(**values))
    with op.batch_alter_table("user_plans") as table:
        table.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="active")
        )


def downgrade() -> None:
    with op.batch_alter_table("user_plans") as table:
        table.drop_column("status")
    for old_name, values in SEED_PLANS:
        op.execute(plans.update().where(plans.c.name == values["name"]).values(name=old_name))
    with op.batch_alter_table("plans") as table:
        table.drop_column("features")
        table.drop_column("level")
