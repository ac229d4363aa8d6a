"""The per-key change queue on the embedded stack (SQLite and the in-process Redis server)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest

from app.config import Settings
from app.db.migrate import migrate
from app.errors import DomainError
from app.roulette import appender, store
from app.roulette.appender import Appender, QueueFull
from app.roulette.live import Dialect, topic
from app.services import Services
from app.ws.delivery import topic_channel, unpack


@pytest.fixture
async def services(tmp_path) -> AsyncIterator[Services]:
    """What the appender uses of a worker: its database pool and gateway (and the hub under it)."""
    settings = Settings.from_env(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/voxhub.db", "REDIS_URL": "memory://"}
    )
    await asyncio.to_thread(migrate, settings)
    services = Services.build(settings)
    await services.start()
    yield services
    await services.close()


def _appender(services: Services) -> Appender:
    return Appender(services.db, services.gateway)


async def test_a_full_queue_refuses_and_what_was_queued_is_committed_in_order(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(appender, "MAX_PENDING", 5)
    published: list[dict] = []
    await services.hub.subscribe(
        topic_channel(topic(Dialect.V, "k")),
        lambda _channel, payload: published.append(json.loads(unpack(payload)[1])),
    )
    saves = _appender(services)
    queued = [saves.append("k", number) for number in (3, 1, 4, 1, 5)]
    with pytest.raises(QueueFull):
        saves.append("k", 9)
    other_key = saves.append("other", 2)  # a full key does not block another

    await saves.drain()
    sessions = [saved.result() for saved in queued]
    assert [s.history for s in sessions] == [[3], [3, 1], [3, 1, 4], [3, 1, 4, 1], [3, 1, 4, 1, 5]]
    assert other_key.result().history == [2]
    async with asyncio.timeout(5):
        while len(published) < 5:
            await asyncio.sleep(0.01)
    assert [update["number"] for update in published] == [3, 1, 4, 1, 5]
    assert published[-1]["numbers"] == [3, 1, 4, 1, 5]
    assert published[-1]["type"] == "rouletteUpdate"
    # The queue is gone with its writer: the next save starts a new one.
    assert (await saves.append("k", 0)).history == [3, 1, 4, 1, 5, 0]


async def test_a_failed_commit_fails_its_saves_and_the_queue_goes_on(
    services: Services,
) -> None:
    saves = _appender(services)
    # Handlers validate numbers first; here the database's own check refuses it.
    with pytest.raises(Exception, match="number_on_the_wheel|CHECK constraint"):
        await saves.append("k", 99)
    assert (await saves.append("k", 8)).history == [8]


async def test_a_cancelled_writer_leaves_no_save_waiting(services: Services) -> None:
    """At worker teardown the writer may be cancelled mid-commit: every queued save, the ones
    in its batch too, ends cancelled rather than waiting forever."""
    saves = _appender(services)
    first = saves.append("k", 1)
    await asyncio.sleep(0)  # the writer takes `first` into its batch and starts committing
    second = saves.append("k", 2)
    for writer in list(saves._writers):
        writer.cancel()
    await asyncio.gather(*saves._writers, return_exceptions=True)
    assert first.done() and second.done()
    assert second.cancelled()


async def test_replaces_and_removes_queue_between_appends_in_order(services: Services) -> None:
    """One socket's writes apply in the order sent, whatever their kind: appends around a
    replace or a remove are not batched across it."""
    saves = _appender(services)
    done = [
        saves.append("k", 1),
        saves.append("k", "00"),
        saves.replace("k", [5, 6, 7]),
        saves.append("k", 8),
        saves.remove("k", 0),
        saves.append("k", 9),
        saves.remove("k", 10),
    ]
    await saves.drain()
    assert [d.result().history for d in done[:6]] == [
        [1],
        [1, "00"],
        [5, 6, 7],
        [5, 6, 7, 8],
        [6, 7, 8],
        [6, 7, 8, 9],
    ]
    with pytest.raises(DomainError, match="Invalid index"):
        done[6].result()


async def test_appends_past_the_cap_drop_the_oldest(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full history keeps the newest MAX_HISTORY, as a board's strip does: within one batch
    and across batches, and positions stay gapless for the removes that follow."""
    monkeypatch.setattr(store, "MAX_HISTORY", 3)
    saves = _appender(services)
    key = f"cap-{uuid.uuid4().hex[:8]}"
    done = [saves.append(key, n) for n in (1, 2, 3, 4)]
    await saves.drain()
    assert done[3].result().history == [2, 3, 4]
    later = saves.append(key, 5)
    await saves.drain()
    assert later.result().history == [3, 4, 5]
    removed = saves.remove(key, 0)
    await saves.drain()
    assert removed.result().history == [4, 5]


async def test_a_client_id_twice_in_one_batch_is_stored_once(services: Services) -> None:
    """Saves queued together commit in one batch: a retry queued behind its first (the
    client gave up waiting and sent it again) is answered with the batch's session."""
    saves = _appender(services)
    queued = [
        saves.append("k", 1, "first"),
        saves.append("k", 2),
        saves.append("k", 1, "first"),
        saves.append("k", 3, "third"),
    ]
    await saves.drain()
    assert [saved.result().history for saved in queued] == [[1], [1, 2], [1, 2, 3], [1, 2, 3]]
    assert (await saves.append("k", 3, "third")).history == [1, 2, 3]
    assert (await saves.replace("k", [])).history == []
    assert (await saves.append("k", 3, "third")).history == [3]  # a replace clears the ids
