"""Seed 002's bodies, one model each: what the REST routes and `chat.send` accept, and what they
answer. The same models are the OpenAPI schemas and the payloads of the socket frames
(`chat.message` carries a `Message`, `ai.advice` an `Advice`); `ChatSend` is a
`MessageCreate` with its chat, so a message is checked by one set of rules on both paths.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from app.db.sql import MAX_ID
from app.http.bodies import Body

MAX_TEXT = 4000
MAX_TITLE = 200
MAX_CLIENT_MSG_ID = 64
MAX_MEMBERS = 100

AiMode = Literal["off", "advice", "autoreply"]
"""A member's AI in a chat (the values of `app.db.tables.messenger.AI_MODES`)."""

PositiveId = Annotated[int, Field(ge=1, le=MAX_ID)]  # a BIGINT id


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("text must be a non-empty string")
    return text


def _blank_is_none(title: str | None) -> str | None:
    return (title.strip() or None) if title is not None else None


MessageText = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_not_blank)]
ClientMsgId = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=MAX_CLIENT_MSG_ID,
        description="the sender's idempotency key: a repeat returns the first message",
    ),
]

# -- requests ----------------------------------------------------------------------------------


class ChatCreate(Body):
    member_ids: Annotated[list[PositiveId], Field(max_length=MAX_MEMBERS)]
    title: Annotated[str | None, Field(max_length=MAX_TITLE), AfterValidator(_blank_is_none)] = None


class AiModeUpdate(Body):
    mode: AiMode


class BlockCreate(Body):
    user_id: Annotated[int, Field(ge=1, le=MAX_ID)]


class MessageCreate(Body):
    text: MessageText
    client_msg_id: ClientMsgId = None


class ChatSend(MessageCreate):
    """`chat.send`'s payload: a `MessageCreate` naming its chat."""

    chat_id: PositiveId


# -- responses ---------------------------------------------------------------------------------


class ChatMember(Body):
    user_id: int
    ai_mode: AiMode


class Chat(Body):
    id: int
    title: str | None
    members: list[ChatMember]
    created_at: str


class Message(Body):
    id: int
    chat_id: int
    sender_id: int
    text: str
    ai_generated: bool
    client_msg_id: str | None
    created_at: str


class Blocks(Body):
    """The users the caller blocks, by id."""

    blocked_ids: list[int]


class Advice(Body):
    id: int
    chat_id: int
    message_id: int
    text: str
    created_at: str
