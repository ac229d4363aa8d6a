"""What API workers and media workers say to each other through Redis.

* Offers: API workers LPUSH onto one list, :data:`OFFER_QUEUE`; every media worker with a free
  slot BRPOPs from it. Redis hands each offer to exactly one blocked worker (the longest
  waiting one), so capacity is enforced by the worker that knows it, not guessed by the API.
* Replies: the media worker LPUSHes its :class:`Answer` onto the offer's private
  :func:`reply_key`, which the API worker waits on with BLPOP. A list (not pub/sub) cannot lose
  an answer sent before the API started waiting.
* Control: each media worker subscribes to its own :func:`control_channel` for hang-ups from
  `DELETE /webrtc/{id}`; it confirms on the command's reply key once the file is finalized.

Every message is JSON. Offers carry a deadline so that a worker never answers an offer whose
API request already gave up (the caller could not receive that answer anyway).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Final

OFFER_QUEUE: Final = "voxhub:media:offers"
RECORDING_FILENAME: Final = "user_audio.ogg"
"""The seed's layout, which media workers write and API workers read:
``<RECORDINGS_DIR>/<conversation id>/user_audio.ogg``."""
REPLY_TTL_SECONDS: Final = 60
"""Replies nobody collected (the API worker died) expire instead of piling up."""

CONVERSATION_ID = re.compile(r"[0-9a-f]{32}")
"""Conversation ids are uuid4 hex: unguessable (an anonymous caller's id is its capability to
hang up) and safe as a directory name."""


def reply_key(token: str) -> str:
    return f"voxhub:media:reply:{token}"


def control_channel(worker_id: str) -> str:
    return f"voxhub:media:control:{worker_id}"


def is_conversation_id(value: str) -> bool:
    return bool(CONVERSATION_ID.fullmatch(value))


class ProtocolError(ValueError):
    """A message that is not valid JSON of the expected shape."""


def _load(raw: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("not a JSON object")
    return data


@dataclass(frozen=True, slots=True)
class Offer:
    conversation_id: str
    sdp: str
    user_id: int | None
    reply_to: str
    deadline: float
    """Unix time after which the API no longer waits for the answer."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Offer:
        data = _load(raw)
        try:
            offer = cls(
                conversation_id=str(data["conversation_id"]),
                sdp=str(data["sdp"]),
                user_id=None if data.get("user_id") is None else int(data["user_id"]),
                reply_to=str(data["reply_to"]),
                deadline=float(data["deadline"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProtocolError(f"bad offer: {exc}") from None
        if not is_conversation_id(offer.conversation_id):
            raise ProtocolError("bad offer: conversation id")
        return offer


@dataclass(frozen=True, slots=True)
class Answer:
    """A media worker's reply to an :class:`Offer`.

    ``error`` is ``None`` on success, ``"bad_offer"`` for an offer the worker cannot answer
    (HTTP 400) or ``"failed"`` for a fault on the worker's side (HTTP 503).
    """

    conversation_id: str
    worker: str
    sdp: str = ""
    error: str | None = None
    message: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Answer:
        data = _load(raw)
        try:
            return cls(
                conversation_id=str(data["conversation_id"]),
                worker=str(data["worker"]),
                sdp=str(data.get("sdp", "")),
                error=None if data.get("error") is None else str(data["error"]),
                message=str(data.get("message", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProtocolError(f"bad answer: {exc}") from None


@dataclass(frozen=True, slots=True)
class Hangup:
    conversation_id: str
    reply_to: str

    def to_json(self) -> str:
        return json.dumps({"op": "hangup", **asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Hangup:
        data = _load(raw)
        if data.get("op") != "hangup":
            raise ProtocolError("unknown control operation")
        try:
            return cls(conversation_id=str(data["conversation_id"]), reply_to=str(data["reply_to"]))
        except KeyError as exc:
            raise ProtocolError(f"bad hangup: {exc}") from None
