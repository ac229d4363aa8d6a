"""Users: one identity for the Voice AI API, the messenger and the random voice chat."""

import sqlalchemy as sa

from app.db.tables.base import BigId, created_at, metadata, updated_at

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("username", sa.String(64), unique=True),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("telegram_id", sa.BigInteger, unique=True),
    sa.Column("first_name", sa.String(128)),
    sa.Column("last_name", sa.String(128)),
    sa.Column("language_code", sa.String(16)),
    sa.Column("selected_model", sa.String(64), nullable=False, server_default="gpt-realtime"),
    sa.Column("balance", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("role", sa.String(16), nullable=False, server_default="user"),
    # Seed 000's mini-app profile: Telegram Premium, the chosen voice and prompt (no foreign
    # key: prompts are soft-deleted and a selection falls back by rule), the last request.
    sa.Column("is_premium", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("selected_voice", sa.String(16)),
    sa.Column("selected_prompt_id", sa.BigInteger),
    sa.Column(
        "last_active", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    created_at(),
    updated_at(),
    sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
)
