"""OpenAPI shapes of the messenger's bodies (documentation only; validation is explicit)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChatMember:
    user_id: int
    ai_mode: str


@dataclass
class Chat:
    id: int
    title: str | None
    members: list[ChatMember]
    created_at: str


@dataclass
class ChatCreate:
    member_ids: list[int]
    title: str | None = None


@dataclass
class AiModeUpdate:
    mode: str  # off | advice | autoreply


@dataclass
class MessageCreate:
    text: str
    client_msg_id: str | None = None


@dataclass
class Message:
    id: int
    chat_id: int
    sender_id: int
    text: str
    ai_generated: bool
    client_msg_id: str | None
    created_at: str


@dataclass
class Advice:
    id: int
    chat_id: int
    message_id: int
    text: str
    created_at: str


@dataclass
class Error:
    error: str
