"""`chat.send` over /ws: the same rules as the REST route, answered with `chat.ack`."""

from __future__ import annotations

from app.errors import ApiError
from app.messenger import validation
from app.messenger.service import Messenger
from app.ws.connection import Connection
from app.ws.protocol import Frame, WsError

_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict"}


async def chat_send(conn: Connection, frame: Frame) -> None:
    """Persist first, then ack the sender; every member's sockets get `chat.message`."""
    user_id = conn.identity.user_id
    if user_id is None:
        raise WsError("forbidden", "the messenger is for registered users")
    messenger: Messenger = conn.app.ctx.messenger
    try:
        payload = validation.body_object(frame.get("payload"))
        message, _created = await messenger.post_message(
            validation.positive_id(payload.get("chat_id"), "chat_id"),
            user_id,
            validation.message_text(payload.get("text")),
            validation.client_msg_id(payload.get("client_msg_id")),
            source="ws",
        )
    except ApiError as exc:
        raise WsError(_CODES.get(exc.status_code, "error"), str(exc)) from None
    conn.send(
        {
            "type": "chat.ack",
            "payload": {"client_msg_id": message["client_msg_id"], "message": message},
        }
    )
