"""Input rules of the messenger, shared by REST and WebSocket: bad input is a 400, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.db.tables.messenger import AI_MODES
from app.errors import bad_request

MAX_TEXT = 4000
MAX_TITLE = 200
MAX_CLIENT_MSG_ID = 64
MAX_MEMBERS = 100
DEFAULT_PAGE = 50
MAX_PAGE = 200


def body_object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise bad_request("the body must be a JSON object")
    return body


def positive_id(value: Any, name: str) -> int:
    # bool is an int in Python; `true` is not an id.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise bad_request(f"{name} must be a positive integer")
    return value


def message_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request("text must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise bad_request(f"text must be at most {MAX_TEXT} characters")
    return value


def client_msg_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_CLIENT_MSG_ID:
        raise bad_request(f"client_msg_id must be a string of 1 to {MAX_CLIENT_MSG_ID} characters")
    return value


def chat_title(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TITLE:
        raise bad_request(f"title must be a string of at most {MAX_TITLE} characters")
    return value.strip() or None


def member_ids(value: Any) -> list[int]:
    if not isinstance(value, list) or len(value) > MAX_MEMBERS:
        raise bad_request(f"member_ids must be a list of at most {MAX_MEMBERS} user ids")
    return [positive_id(item, "member_ids[]") for item in value]


def ai_mode(value: Any) -> str:
    if value not in AI_MODES:
        raise bad_request(f"mode must be one of {', '.join(AI_MODES)}")
    return value


def _query_int(args: Mapping[str, Any], name: str) -> int | None:
    raw = args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be an integer") from None
    if value < 0:
        raise bad_request(f"{name} must not be negative")
    return value


def page_args(args: Mapping[str, Any]) -> tuple[int | None, int | None, int]:
    """`after_id`, `before_id` and `limit` (default 50, 1 to 200) from a query string."""
    limit = _query_int(args, "limit")
    if limit is None:
        limit = DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise bad_request(f"limit must be between 1 and {MAX_PAGE}")
    return _query_int(args, "after_id"), _query_int(args, "before_id"), limit
