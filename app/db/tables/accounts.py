"""Voice AI accounts (seed 000): the token ledger, plans, subscriptions, history, prompts.

The balance itself lives on `users.balance`; every change to it is one `token_ledger` row
written in the same transaction, so the ledger always sums to the balance. Idempotency records
are unique per (user, key): the first request with a key stores its answer, replays return it.
"""

import sqlalchemy as sa

from app.db.tables.base import BigId, created_at, metadata


def owner_column() -> sa.Column:
    """The indexed `user_id` of a row that belongs to one user and goes with them."""
    return sa.Column(
        "user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )


token_ledger = sa.Table(
    "token_ledger",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    owner_column(),
    sa.Column("delta", sa.BigInteger, nullable=False),
    sa.Column("balance_after", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("details", sa.Text),
    sa.Column("idempotency_key", sa.String(255)),
    created_at(),
    # The Realtime response a server-metered charge is for: unique, so charged at most once.
    sa.Column("response_id", sa.String(128), unique=True),
)

plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("price_cents", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
    sa.Column("tokens", sa.BigInteger, nullable=False),
    sa.Column("duration_days", sa.Integer, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    created_at(),
    # Seed 000: the level gates prompts (1-3); features are a JSON list of strings.
    sa.Column("level", sa.Integer, nullable=False, server_default="1"),
    sa.Column("features", sa.Text, nullable=False, server_default="[]"),
)

user_plans = sa.Table(
    "user_plans",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    owner_column(),
    sa.Column("plan_id", BigId, sa.ForeignKey("plans.id"), nullable=False),
    sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("end_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("tokens_credited", sa.BigInteger, nullable=False),
    created_at(),
    # active | expired | cancelled; active counts only until end_date.
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
)

conversation_messages = sa.Table(
    "conversation_messages",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    owner_column(),
    sa.Column("message_type", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    created_at(),
    # Seed 000: the voice session a message belongs to (the client's number, not a key) and
    # how long its audio lasted.
    sa.Column("session_id", sa.BigInteger),
    sa.Column("audio_duration_seconds", sa.Integer, nullable=False, server_default="0"),
)

prompts = sa.Table(
    "prompts",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    # No owner for base prompts (`is_base`, gated by `plan_required` 1-3); a user's own
    # prompts have plan_required 0. Deleting one clears `is_active`: a soft delete.
    sa.Column(
        "user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    ),
    sa.Column("title", sa.String(128), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    created_at(),
    sa.Column("description", sa.Text),
    sa.Column("category", sa.String(64)),
    sa.Column("voice_gender", sa.String(16)),
    sa.Column("plan_required", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_base", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
)

idempotency_records = sa.Table(
    "idempotency_records",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    # No foreign key: the record is claimed before the user is looked up, and a request for
    # a missing user rolls its record back with the 404.
    sa.Column("user_id", BigId, nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False, server_default="0"),
    sa.Column("response", sa.Text, nullable=False, server_default=""),
    created_at(),
    sa.UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_id_key"),
)

# Seed 000's profile page: what a user did (free-form `metadata` JSON as text) and the
# statistics of their voice sessions.
user_activity = sa.Table(
    "user_activity",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    owner_column(),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("metadata", sa.Text),
    sa.Column("ip_address", sa.String(64)),
    sa.Column("user_agent", sa.String(512)),
    created_at(),
)

voice_sessions = sa.Table(
    "voice_sessions",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    owner_column(),
    sa.Column("words_spoken", sa.Integer, nullable=False, server_default="0"),
    sa.Column("ai_responses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("session_quality", sa.Float),
    sa.Column("context_summary", sa.Text),
    sa.Column("last_conversation_topic", sa.String(255)),
    created_at(),
)

# Server-metered OpenAI Realtime calls: `held` is taken from the balance while the call lives
# (ledger rows `realtime_hold`), charges consume it, the rest returns at the end.
realtime_calls = sa.Table(
    "realtime_calls",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    owner_column(),
    sa.Column("openai_call_id", sa.String(128), unique=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("voice", sa.String(32), nullable=False),
    # starting | live | ended | failed
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("end_reason", sa.String(32)),
    sa.Column("held", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("charged", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("responses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("usage", sa.Text, nullable=False, server_default="{}"),
    sa.Column("worker", sa.String(128)),
    sa.Column("attaches", sa.Integer, nullable=False, server_default="0"),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    created_at(),
)
