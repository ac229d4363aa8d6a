"""Frames for users and topics, wherever their sockets are: through Redis channels.

A worker holding a socket of user U is subscribed to `voxhub:user:<U>`, and one holding a
socket that joined topic T (a roulette key) to `voxhub:topic:<T>` (see `Gateway`), so a
publish reaches every such socket on every worker, and no other worker. Every channel carries
the same payload, `<type>\\n<encoded frame>`: the receiving worker forwards the text untouched
and reads the type for its metrics and delivery hooks without parsing JSON.

This module is the one place that knows that layout; the gateway delivers with it, and
processes without sockets (the AI worker) publish with it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

from app.bus.hub import Hub, envelope
from app.ws.protocol import Frame, encode

USER_CHANNEL_PREFIX = "voxhub:user:"
TOPIC_CHANNEL_PREFIX = "voxhub:topic:"


def user_channel(user_id: str) -> str:
    return USER_CHANNEL_PREFIX + user_id


def topic_channel(topic: str) -> str:
    return TOPIC_CHANNEL_PREFIX + topic


def pack(frame: Frame) -> str:
    return packed(frame.get("type", "unknown"), encode(frame))


def packed(kind: str, text: str) -> str:
    """The channel payload of a frame already encoded as `text` (of type `kind`)."""
    return f"{kind}\n{text}"


def unpack(payload: str) -> tuple[str, str]:
    kind, _, text = payload.partition("\n")
    return kind, text


async def send_to_user(hub: Hub, user_id: str, frame: Frame) -> None:
    await hub.publish(user_channel(user_id), pack(frame))


async def send_to_users(hub: Hub, user_ids: Iterable[str], frame: Frame) -> None:
    payload = pack(frame)  # encoded once for every user
    await asyncio.gather(*(hub.publish(user_channel(uid), payload) for uid in set(user_ids)))


async def publish(hub: Hub, topic: str, frame: Frame) -> None:
    await hub.publish(topic_channel(topic), pack(frame))


# Stands for a value in a frame; JSON always escapes it, so its encoding is a unique marker.
HOLE = "\x00"
_HOLE_JSON = json.dumps(HOLE)


def published_template(frame: Frame, holes: int) -> list[str]:
    """`frame` as a Redis script must PUBLISH it to a user channel (bus envelope included),
    cut where each `HOLE` value stands: the script joins the parts with each value
    JSON-encoded. Lets a script publish the frames its own changes cause, saving the round
    trips of publishing them afterwards."""
    parts = envelope(pack(frame)).split(_HOLE_JSON)
    if len(parts) != holes + 1:
        raise ValueError(f"expected {holes} holes in the frame, found {len(parts) - 1}")
    return parts
