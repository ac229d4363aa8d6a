"""The messenger's bodies: one set of rules for the REST routes and `chat.send`."""

from typing import Any, get_args

import pytest

from app.db.tables.messenger import AI_MODES
from app.errors import DomainError
from app.http.bodies import parse
from app.messenger.schemas import AiMode, AiModeUpdate, ChatCreate, ChatSend, MessageCreate


def _refusal(model: type, raw: Any) -> str:
    with pytest.raises(DomainError) as refused:
        parse(model, raw)
    assert refused.value.status == 400 and refused.value.code == "bad_request"
    return refused.value.message


def test_the_ai_modes_are_the_database_s() -> None:
    assert get_args(AiMode) == AI_MODES
    assert [parse(AiModeUpdate, {"mode": mode}).mode for mode in AI_MODES] == list(AI_MODES)
    assert "mode" in _refusal(AiModeUpdate, {"mode": "on"})


def test_a_chat_names_positive_user_ids_and_an_optional_title() -> None:
    chat = parse(ChatCreate, {"member_ids": [2, 3], "title": "  "})
    assert chat.member_ids == [2, 3] and chat.title is None  # a blank title is no title
    assert parse(ChatCreate, {"member_ids": [], "title": " pair "}).title == "pair"
    for body in (
        {},
        {"member_ids": "bob"},
        {"member_ids": [True]},
        {"member_ids": [-1]},
        {"member_ids": ["2"]},
        {"member_ids": list(range(1, 102))},
        {"member_ids": [2], "title": 5},
        {"member_ids": [2], "title": "x" * 201},
    ):
        assert "member_ids" in _refusal(ChatCreate, body) or "title" in _refusal(ChatCreate, body)
    assert _refusal(ChatCreate, [2]) == "the body must be a JSON object"


def test_a_message_is_checked_alike_over_rest_and_the_socket() -> None:
    assert parse(MessageCreate, {"text": "x" * 4000}).client_msg_id is None
    sent = parse(ChatSend, {"chat_id": 7, "text": "hi", "client_msg_id": "c-1"})
    assert (sent.chat_id, sent.text, sent.client_msg_id) == (7, "hi", "c-1")
    for fields in (
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 4001},
        {"text": 7},
        {},
        {"text": "ok", "client_msg_id": "x" * 65},
        {"text": "ok", "client_msg_id": ""},
        {"text": "ok", "client_msg_id": 12},
    ):
        _refusal(MessageCreate, fields)
        _refusal(ChatSend, {"chat_id": 7, **fields})
    assert _refusal(MessageCreate, {"text": "  "}) == "text must be a non-empty string"
    for chat_id in ("one", 0, -3, True, None):
        assert "chat_id" in _refusal(ChatSend, {"chat_id": chat_id, "text": "hi"})
