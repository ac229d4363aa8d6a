"""REST API of the messenger (seed 002): chats, AI modes, messages and advice.

Only registered users (a `user` token whose subject is a user id) take part; every chat route
answers 404 to non-members so that chat ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sanic_ext import openapi

from app.auth.guards import current_identity
from app.errors import forbidden
from app.messenger import schemas, validation
from app.messenger.service import Messenger

bp = Blueprint("messenger", url_prefix="/api/chats")

_ERRORS = {
    400: "invalid body or query",
    401: "missing or invalid token",
    403: "not a registered user's token",
    404: "chat not found (or not a member)",
    503: "AI is not configured",
}


def _documented(
    summary: str, ok: tuple[int, Any], body: Any = None, errors: tuple[int, ...] = (401, 403, 404)
) -> Callable[[Any], Any]:
    status, schema = ok
    responses = [openapi.definitions.Response({"application/json": schema}, status=status)]
    responses += [
        openapi.definitions.Response(
            {"application/json": schemas.Error}, status=code, description=_ERRORS[code]
        )
        for code in errors
    ]
    return openapi.definition(
        summary=summary,
        tag="messenger",
        body={"application/json": body} if body is not None else None,
        response=responses,
        secured={"bearer": []},
    )


def _caller(request: Request) -> int:
    user_id = current_identity(request).user_id
    if user_id is None:
        raise forbidden("the messenger is for registered users")
    return user_id


def _messenger(request: Request) -> Messenger:
    return request.app.ctx.messenger


@bp.post("")
@_documented(
    "Create a chat; the caller is a member",
    (201, schemas.Chat),
    schemas.ChatCreate,
    (400, 401, 403),
)
async def create_chat(request: Request) -> HTTPResponse:
    user_id = _caller(request)
    body = validation.body_object(request.json)
    chat = await _messenger(request).create_chat(
        user_id,
        validation.chat_title(body.get("title")),
        validation.member_ids(body.get("member_ids")),
    )
    return json(chat, status=201)


@bp.get("")
@_documented("The caller's chats, newest first", (200, [schemas.Chat]), errors=(401, 403))
async def list_chats(request: Request) -> HTTPResponse:
    return json(await _messenger(request).chats(_caller(request)))


@bp.get("/<chat_id:int>")
@_documented("One chat with its members", (200, schemas.Chat))
async def get_chat(request: Request, chat_id: int) -> HTTPResponse:
    return json(await _messenger(request).chat(chat_id, _caller(request)))


@bp.put("/<chat_id:int>/ai")
@_documented(
    "Set the caller's AI mode in this chat (503 when no AI is configured)",
    (200, schemas.Chat),
    schemas.AiModeUpdate,
    (400, 401, 403, 404, 503),
)
async def set_ai_mode(request: Request, chat_id: int) -> HTTPResponse:
    user_id = _caller(request)
    mode = validation.ai_mode(validation.body_object(request.json).get("mode"))
    return json(await _messenger(request).set_ai_mode(chat_id, user_id, mode))


@bp.post("/<chat_id:int>/messages")
@_documented(
    "Send a message (a repeated client_msg_id returns the first message)",
    (201, schemas.Message),
    schemas.MessageCreate,
    (400, 401, 403, 404),
)
async def post_message(request: Request, chat_id: int) -> HTTPResponse:
    user_id = _caller(request)
    body = validation.body_object(request.json)
    message, created = await _messenger(request).post_message(
        chat_id,
        user_id,
        validation.message_text(body.get("text")),
        validation.client_msg_id(body.get("client_msg_id")),
        source="rest",
    )
    # A retry gets the first answer again, as if the first response had reached it.
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return json(message, status=201, headers=headers)


@bp.get("/<chat_id:int>/messages")
@openapi.parameter("after_id", int, description="only messages after this id (backfill)")
@openapi.parameter("before_id", int, description="only messages before this id (history)")
@openapi.parameter("limit", int, description="page size, 1 to 200 (default 50)")
@_documented("Messages, oldest first", (200, [schemas.Message]), errors=(400, 401, 403, 404))
async def list_messages(request: Request, chat_id: int) -> HTTPResponse:
    user_id = _caller(request)
    after_id, before_id, limit = validation.page_args(request.args)
    return json(await _messenger(request).messages(chat_id, user_id, after_id, before_id, limit))


@bp.get("/<chat_id:int>/advice")
@openapi.parameter("after_id", int, description="only advice after this id")
@openapi.parameter("limit", int, description="page size, 1 to 200 (default 50)")
@_documented(
    "The caller's AI advice in this chat, oldest first",
    (200, [schemas.Advice]),
    errors=(400, 401, 403, 404),
)
async def list_advice(request: Request, chat_id: int) -> HTTPResponse:
    user_id = _caller(request)
    after_id, _before_id, limit = validation.page_args(request.args)
    return json(await _messenger(request).advice(chat_id, user_id, after_id, limit))
