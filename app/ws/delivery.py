"""Deliver a frame to a user wherever their sockets are: through the user's Redis channel.

The worker holding a user's sockets is subscribed to `voxhub:user:<id>` (see `Gateway`), so a
publish reaches every device of that user on every worker, and no other worker. The payload
is `<type>\\n<encoded frame>`: the receiving worker forwards the text untouched and reads the
type for its metrics without parsing JSON.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sanic import Sanic

from app.ws.protocol import Frame, encode

USER_CHANNEL_PREFIX = "voxhub:user:"


def user_channel(user_id: str) -> str:
    return USER_CHANNEL_PREFIX + user_id


def pack(frame: Frame) -> str:
    return f"{frame.get('type', 'unknown')}\n{encode(frame)}"


def unpack(payload: str) -> tuple[str, str]:
    kind, _, text = payload.partition("\n")
    return kind, text


async def send_to_user(app: Sanic, user_id: str, frame: Frame) -> None:
    await app.ctx.hub.publish(user_channel(user_id), pack(frame))


async def send_to_users(app: Sanic, user_ids: Iterable[str], frame: Frame) -> None:
    payload = pack(frame)
    hub = app.ctx.hub
    await asyncio.gather(*(hub.publish(user_channel(uid), payload) for uid in set(user_ids)))
