"""WebRTC echo-and-record (seed 001): one row per conversation.

Media workers write it (they own the calls); API workers read it for
`GET /api/conversations/{id}` and to authorize recording downloads. `worker` names the media
worker that owns a live call, so that a worker which died (its Redis heartbeat expired) can be
found and its calls marked failed. `file_path` is informational: the API rebuilds the path from
`RECORDINGS_DIR` and the validated id, so a row can never point a download elsewhere.
"""

import sqlalchemy as sa

from app.db.tables.base import created_at, metadata

LIVE_STATES = ("connecting", "active")

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True),
    sa.Column("worker", sa.String(128), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("end_reason", sa.String(32)),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("duration", sa.Float, nullable=False, server_default="0"),
    sa.Column("file_path", sa.String(1024), nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("packets", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("echo_drops", sa.BigInteger, nullable=False, server_default="0"),
    created_at(),
    sa.CheckConstraint("state IN ('connecting', 'active', 'ended', 'failed')", name="state_known"),
    sa.Index("ix_conversations_live_worker", "state", "worker"),
)
