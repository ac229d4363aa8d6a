"""Live roulette: each change of a key, in each dialect its watchers speak.

A socket watches a key *in a dialect* (docs/seed003.md §4): it joins the gateway topic
`roulette:<dialect>:<key>`, so a worker subscribes each (key, dialect) once whatever the
number of its sockets, and every watcher of that pair gets the same bytes. A change is
encoded once per dialect that has watchers anywhere (one PUBSUB NUMSUB per batch tells), by
the writer, and forwarded untouched by every worker: never once per socket.

The writer publishes while it holds the key's lock, before its transaction commits
(`app/roulette/appender.py`): the next change of the key, on any worker, is published after
this one, so all watchers see the key's changes in commit order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from prometheus_client import Counter
from redis.asyncio import Redis

from app.bus.hub import envelope
from app.roulette.values import Number
from app.ws.delivery import packed, topic_channel
from app.ws.protocol import now_iso

roulette_updates = Counter(
    "voxhub_roulette_updates_total", "Roulette changes published (WebSocket and REST writes)"
)


class Dialect(StrEnum):
    """Who a watcher is: the seed-commit Go client (A), the Node-era client (B), HEAD's
    client (C), Voxhub's own `subscribe` (V)."""

    A = "A"
    B = "B"
    C = "C"
    V = "V"


class Kind(StrEnum):
    APPEND = "append"
    REPLACE = "replace"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change of `key`. `version` is the history's length after it; `number` the
    number appended, or for a replace or remove the history's last entry (V's `number`)."""

    key: str
    kind: Kind
    version: int
    number: Number | None
    index: int | None = None
    # Oldest numbers an append dropped to stay within the cap: the history shifted, so the
    # dialect that applies deltas by version (C) gets the whole history instead of `add`.
    dropped: int = 0


def topic(dialect: Dialect, key: str) -> str:
    return f"roulette:{dialect}:{key}"


class Histories:
    """The JSON of a history and of its prefixes, encoded once: a batch of appends publishes
    one history per change, each the previous one plus a number, and the last holds them all.
    A prefix is a cut of the whole text at a comma, found walking back from the end once.
    """

    def __init__(self, history: Sequence[Number]) -> None:
        self._history = history
        self._whole = ""
        # _ends[j]: where the history without its last j entries ends in `_whole`.
        self._ends: list[int] = []

    def text(self, length: int) -> str:
        if not self._ends:
            self._whole = json.dumps(list(self._history), separators=(",", ":"))
            self._ends.append(len(self._whole) - 1)  # the closing bracket
        dropped = len(self._history) - length
        while len(self._ends) <= dropped:
            self._ends.append(max(self._whole.rfind(",", 0, self._ends[-1]), 1))
        return self._whole[: self._ends[dropped]] + "]"


def _text(kind: str, timestamp: str, *fields: tuple[str, str]) -> tuple[str, str]:
    """A frame's type and JSON text from already-encoded field values."""
    body = "".join(f',"{name}":{value}' for name, value in fields)
    return kind, f'{{"type":"{kind}"{body},"timestamp":"{timestamp}"}}'


def frame_text(
    dialect: Dialect, change: Change, histories: Histories, timestamp: str
) -> tuple[str, str]:
    """`change` as `dialect`'s watchers receive it (docs/seed003.md §5)."""
    key = ("key", json.dumps(change.key, ensure_ascii=False))
    number = ("number", json.dumps(change.number))

    def history(name: str = "history") -> tuple[str, str]:
        return name, histories.text(change.version)

    if dialect is Dialect.A:
        if change.kind is Kind.APPEND:
            return _text("numberSaved", timestamp, key, number, history())
        return _text("historyUpdated", timestamp, key, history())
    if dialect is Dialect.B:
        return _text("sync", timestamp, key, history())
    if dialect is Dialect.C:
        version = ("version", str(change.version))
        if change.kind is Kind.APPEND and not change.dropped:
            return _text("add", timestamp, key, number, version)
        if change.kind is Kind.REMOVE:
            return _text("remove", timestamp, key, ("index", str(change.index)), version)
        return _text("sync", timestamp, key, history(), ("full", "true"))
    return _text("rouletteUpdate", timestamp, key, number, history("numbers"))


async def publish(
    redis: Redis,
    key: str,
    changes: Sequence[Change],
    history: Sequence[Number],
) -> None:
    """`changes` of `key` in order, `history` being the whole history after the last one:
    one round trip to learn which dialects are watched, one pipeline of PUBLISHes."""
    channels = {dialect: topic_channel(topic(dialect, key)) for dialect in Dialect}
    counts = await redis.pubsub_numsub(*channels.values())
    watched = [dialect for dialect, (_, count) in zip(Dialect, counts, strict=True) if count]
    if watched:
        histories = Histories(history)
        async with redis.pipeline(transaction=False) as pipe:
            for change in changes:
                timestamp = now_iso()
                for dialect in watched:
                    kind, text = frame_text(dialect, change, histories, timestamp)
                    pipe.publish(channels[dialect], envelope(packed(kind, text)))
            await pipe.execute()
    roulette_updates.inc(len(changes))
