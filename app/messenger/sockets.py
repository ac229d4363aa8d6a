"""`chat.send` over /ws: the same rules as the REST route, answered with `chat.ack`."""

from __future__ import annotations

from app.errors import forbidden
from app.http.bodies import parse
from app.messenger.schemas import ChatSend
from app.messenger.service import Messenger
from app.ws.connection import Connection
from app.ws.protocol import Frame


class ChatSockets:
    """The messenger's socket messages, bound to the worker's `Messenger`."""

    def __init__(self, messenger: Messenger) -> None:
        self.messenger = messenger

    async def chat_send(self, conn: Connection, frame: Frame) -> None:
        """Persist first, then ack the sender; every member's sockets get `chat.message`."""
        user_id = conn.identity.user_id
        if user_id is None:
            raise forbidden("the messenger is for registered users")
        send = parse(ChatSend, frame.get("payload"), what="the payload")
        message, _created = await self.messenger.post_message(
            send.chat_id, user_id, send.text, send.client_msg_id, source="ws"
        )
        conn.send(
            {
                "type": "chat.ack",
                "payload": {
                    "client_msg_id": message.client_msg_id,
                    "message": message.model_dump(),
                },
            }
        )
