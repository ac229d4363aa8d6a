"""Live roulette updates: a key is a gateway topic, and every update goes to its watchers.

A worker subscribes a key's topic once, whatever the number of its sockets watching it, and
forwards the published text as is: the update is serialized once by the writer, for every
socket on every worker.
"""

from __future__ import annotations

from prometheus_client import Counter

from app.roulette.schemas import Session
from app.ws.gateway import Gateway

UPDATE_TYPE = "rouletteUpdate"

roulette_updates = Counter(
    "voxhub_roulette_updates_total", "Roulette updates published (WebSocket and REST writes)"
)


def topic(key: str) -> str:
    return f"roulette:{key}"


async def publish_update(gateway: Gateway, session: Session, number: int | None) -> None:
    frame = {
        "type": UPDATE_TYPE,
        "key": session.key,
        "number": number,
        "numbers": session.numbers,
    }
    await gateway.publish(topic(session.key), frame)
    roulette_updates.inc()
