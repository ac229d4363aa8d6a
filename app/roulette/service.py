"""A worker's roulette: the per-key change queue, the socket dialects, and what REST calls."""

from __future__ import annotations

from databases import Database

from app.roulette import store
from app.roulette.appender import Appender
from app.roulette.schemas import Session
from app.roulette.sockets import RouletteSockets
from app.roulette.values import Number
from app.ws.gateway import Gateway
from app.ws.registry import WsRouter


class Roulette:
    def __init__(self, db: Database, gateway: Gateway) -> None:
        self.db = db
        self.gateway = gateway
        self.appender = Appender(db, gateway)
        self.sockets = RouletteSockets(db, gateway, self.appender)

    def install(self, router: WsRouter) -> None:
        self.sockets.install(router)

    async def history(self, key: str) -> list[Number]:
        """An unknown key has the empty history: it is listed from its first write."""
        session = await store.get(self.db, key)
        return session.history if session else []

    async def save(self, key: str, number: Number, client_id: str | None = None) -> Session:
        return await self.appender.append(key, number, client_id)

    async def replace(self, key: str, history: list[Number]) -> Session:
        return await self.appender.replace(key, history)

    async def sessions(self) -> list[Session]:
        return await store.list_sessions(self.db)
