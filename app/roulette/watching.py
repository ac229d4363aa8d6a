"""What a socket watches: (key, dialect) registrations, its joined key, and watch answers.

A registration is the socket's membership of the gateway topic of that (key, dialect), so the
gateway drops them all when the socket closes. A socket watches at most MAX_KEYS keys, in any
number of dialects each. The joined key (B and C's `join`) is the one `add`, `remove` and a
keyless `update` act on; a new `join` replaces the previous one's registration.

A watch answer (`historyUpdate`, `sync`, `subscribed`) is sent after the registration and
while the key's lock is held shared: a change committed before it is in its snapshot, and one
committed after it is published after it (writers publish under the exclusive lock), so it
reaches the socket after the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from databases import Database

from app.errors import DomainError
from app.roulette import store
from app.roulette.live import Dialect, topic
from app.roulette.values import Number
from app.ws.connection import Connection
from app.ws.gateway import Gateway
from app.ws.protocol import Frame

MAX_KEYS = 32
STATE = "roulette"


@dataclass(slots=True)
class Watching:
    keys: dict[str, set[Dialect]] = field(default_factory=dict)
    joined: tuple[str, Dialect] | None = None


def watching(conn: Connection) -> Watching:
    state: Watching | None = conn.state.get(STATE)
    if state is None:
        state = conn.state[STATE] = Watching()
    return state


def joined_key(conn: Connection) -> str | None:
    joined = watching(conn).joined
    return joined[0] if joined else None


async def register(gateway: Gateway, conn: Connection, key: str, dialect: Dialect) -> None:
    state = watching(conn)
    dialects = state.keys.get(key)
    if dialects is None:
        if len(state.keys) >= MAX_KEYS:
            raise DomainError(400, f"watch at most {MAX_KEYS} keys", code="too_many_subscriptions")
        dialects = state.keys[key] = set()
    if dialect in dialects:
        return
    dialects.add(dialect)
    try:
        await gateway.join(conn, topic(dialect, key))
    except Exception:
        _forget(state, key, dialect)
        raise


async def join(gateway: Gateway, conn: Connection, key: str, dialect: Dialect) -> None:
    """The socket's joined key becomes `key`, watched in `dialect` (B or C)."""
    state = watching(conn)
    previous = state.joined
    if previous is not None and previous != (key, dialect):
        await _unregister(gateway, conn, *previous)
        state.joined = None
    await register(gateway, conn, key, dialect)
    state.joined = (key, dialect)


async def unwatch(gateway: Gateway, conn: Connection, key: str) -> None:
    """Every registration of `key` goes (the joined key too, if it is this one)."""
    state = watching(conn)
    for dialect in list(state.keys.get(key, ())):
        await _unregister(gateway, conn, key, dialect)
    if state.joined is not None and state.joined[0] == key:
        state.joined = None


async def _unregister(gateway: Gateway, conn: Connection, key: str, dialect: Dialect) -> None:
    _forget(watching(conn), key, dialect)
    await gateway.leave(conn, topic(dialect, key))


def _forget(state: Watching, key: str, dialect: Dialect) -> None:
    dialects = state.keys.get(key)
    if dialects is not None:
        dialects.discard(dialect)
        if not dialects:
            del state.keys[key]


async def answer(
    db: Database, conn: Connection, key: str, frame: Callable[[list[Number]], Frame] | Frame
) -> None:
    """Send a watch answer under the key's shared lock; `frame` built from the key's history
    (a snapshot), or as given when it needs none."""
    async with db.transaction():
        await store.lock(db, key, shared=True)
        if callable(frame):
            session = await store.get(db, key)
            conn.send(frame(session.history if session else []))
        else:
            conn.send(frame)
