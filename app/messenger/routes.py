"""REST API of the messenger (seed 002): chats, AI modes, messages and advice.

Only registered users (a `user` token whose subject is a user id) take part; every chat route
answers 404 to non-members so that chat ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty

from app.auth.guards import current_identity
from app.db.sql import MAX_ID
from app.errors import bad_request, forbidden
from app.http.bodies import ErrorBody, document, json_body, respond
from app.messenger.schemas import (
    Advice,
    AiModeUpdate,
    BlockCreate,
    Blocks,
    Chat,
    ChatCreate,
    Message,
    MessageCreate,
)
from app.messenger.service import Messenger
from app.services import services_of

bp = Blueprint("messenger", url_prefix="/api/chats")

DEFAULT_PAGE = 50
MAX_PAGE = 200


def _answers(ok: tuple[int, Any], *errors: int) -> dict[int, Any]:
    """A route's documented answers: its success body, then `{"error"}` for each refusal
    (400 bad body or query, 401 no token, 403 not a user's token, 404 not a member's chat,
    503 no AI configured)."""
    status, shape = ok
    return {status: shape, **dict.fromkeys(errors, ErrorBody)}


def _caller(request: Request) -> int:
    user_id = current_identity(request).user_id
    if user_id is None:
        raise forbidden("the messenger is for registered users")
    return user_id


def _messenger(request: Request) -> Messenger:
    return services_of(request.app).get(Messenger)


def _query_int(args: Mapping[str, Any], name: str) -> int | None:
    raw = args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be an integer") from None
    if not 0 <= value <= MAX_ID:
        raise bad_request(f"{name} must be an integer from 0 to {MAX_ID}")
    return value


def _page(args: Mapping[str, Any]) -> tuple[int | None, int | None, int]:
    """`after_id`, `before_id` and `limit` (default 50, 1 to 200) from a query string."""
    limit = _query_int(args, "limit")
    if limit is None:
        limit = DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise bad_request(f"limit must be between 1 and {MAX_PAGE}")
    return _query_int(args, "after_id"), _query_int(args, "before_id"), limit


@bp.post("")
@document(
    "Create a chat; the caller is a member",
    body=ChatCreate,
    responses=_answers((201, Chat), 400, 401, 403),
    tag="messenger",
)
async def create_chat(request: Request) -> HTTPResponse:
    user_id = _caller(request)
    body = json_body(request, ChatCreate)
    chat = await _messenger(request).create_chat(user_id, body.title, body.member_ids)
    return respond(chat, status=201)


@bp.get("")
@document(
    "The caller's chats, newest first: `limit` (default 50, at most 200) below `before_id`",
    query=[("before_id", int), ("limit", int)],
    responses=_answers((200, list[Chat]), 400, 401, 403),
    tag="messenger",
)
async def list_chats(request: Request) -> HTTPResponse:
    user_id = _caller(request)
    _after_id, before_id, limit = _page(request.args)
    return respond(list(await _messenger(request).chats(user_id, before_id, limit)))


@bp.delete("/<chat_id:int>/membership")
@document(
    "Leave a chat (204); its other members get `chat.member_left`, and nobody can add the "
    "caller back to it",
    responses=_answers((204, "left"), 401, 403, 404),
    tag="messenger",
)
async def leave_chat(request: Request, chat_id: int) -> HTTPResponse:
    await _messenger(request).leave(chat_id, _caller(request))
    return empty(status=204)


@bp.get("/blocks")
@document(
    "The users the caller blocks: they cannot create a chat with the caller in it",
    responses=_answers((200, Blocks), 401, 403),
    tag="messenger",
)
async def list_blocks(request: Request) -> HTTPResponse:
    blocked = await _messenger(request).blocked(_caller(request))
    return respond(Blocks.model_construct(blocked_ids=blocked))


@bp.post("/blocks")
@document(
    "Block a user from putting the caller in a chat; answers the caller's blocks (an id "
    "naming nobody is accepted and stores nothing)",
    body=BlockCreate,
    responses=_answers((200, Blocks), 400, 401, 403),
    tag="messenger",
)
async def block_user(request: Request) -> HTTPResponse:
    caller = _caller(request)
    messenger = _messenger(request)
    await messenger.block(caller, json_body(request, BlockCreate).user_id)
    return respond(Blocks.model_construct(blocked_ids=await messenger.blocked(caller)))


@bp.delete("/blocks/<user_id:int>")
@document(
    "Unblock a user (204)",
    responses=_answers((204, "unblocked"), 401, 403, 404),  # 404: a path that names nobody
    tag="messenger",
)
async def unblock_user(request: Request, user_id: int) -> HTTPResponse:
    caller = _caller(request)
    if 0 < user_id <= MAX_ID:
        await _messenger(request).unblock(caller, user_id)
    return empty(status=204)


@bp.get("/<chat_id:int>")
@document(
    "One chat with its members",
    responses=_answers((200, Chat), 401, 403, 404),
    tag="messenger",
)
async def get_chat(request: Request, chat_id: int) -> HTTPResponse:
    return respond(await _messenger(request).chat(chat_id, _caller(request)))


@bp.put("/<chat_id:int>/ai")
@document(
    "Set the caller's AI mode in this chat (503 when no AI is configured)",
    body=AiModeUpdate,
    responses=_answers((200, Chat), 400, 401, 403, 404, 503),
    tag="messenger",
)
async def set_ai_mode(request: Request, chat_id: int) -> HTTPResponse:
    user_id = _caller(request)
    mode = json_body(request, AiModeUpdate).mode
    return respond(await _messenger(request).set_ai_mode(chat_id, user_id, mode))


@bp.post("/<chat_id:int>/messages")
@document(
    "Send a message (a repeated client_msg_id returns the first message)",
    body=MessageCreate,
    responses=_answers((201, Message), 400, 401, 403, 404),
    tag="messenger",
)
async def post_message(request: Request, chat_id: int) -> HTTPResponse:
    user_id = _caller(request)
    body = json_body(request, MessageCreate)
    message, created = await _messenger(request).post_message(
        chat_id, user_id, body.text, body.client_msg_id, source="rest"
    )
    # A retry gets the first answer again, as if the first response had reached it.
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return respond(message, status=201, headers=headers)


@bp.get("/<chat_id:int>/messages")
@document(
    "Messages, oldest first",
    query=[("after_id", int), ("before_id", int), ("limit", int)],
    responses=_answers((200, list[Message]), 400, 401, 403, 404),
    tag="messenger",
)
async def list_messages(request: Request, chat_id: int) -> HTTPResponse:
    user_id = _caller(request)
    after_id, before_id, limit = _page(request.args)
    page = await _messenger(request).messages(chat_id, user_id, after_id, before_id, limit)
    return respond(list(page))


@bp.get("/<chat_id:int>/advice")
@document(
    "The caller's AI advice in this chat, oldest first",
    query=[("after_id", int), ("limit", int)],
    responses=_answers((200, list[Advice]), 400, 401, 403, 404),
    tag="messenger",
)
async def list_advice(request: Request, chat_id: int) -> HTTPResponse:
    user_id = _caller(request)
    after_id, _before_id, limit = _page(request.args)
    return respond(list(await _messenger(request).advice(chat_id, user_id, after_id, limit)))
