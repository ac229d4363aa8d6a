"""A media worker: owns calls, takes offers from Redis only while it has a free slot.

* Heartbeats its calls and capacity into the registry (`app/media/registry.py`) every third of
  `MEDIA_HEARTBEAT_TTL`; its entry expires when the process dies, which is how API workers,
  `/health` and other media workers learn that its calls are gone.
* Takes offers (BRPOP on the shared queue) only while `calls < MEDIA_MAX_CALLS`; the slot is
  reserved before answering, so the limit holds under any concurrency.
* Writes each conversation's row (connecting -> active -> ended/failed) and fails the calls of
  workers whose heartbeat expired.
* Hangs up on request (its control channel) and, on :meth:`MediaWorker.stop` (SIGTERM),
  finalizes every recording before deregistering.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from databases import Database
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.bus import Hub
from app.compat.aioice_host_pinning import IcePolicy
from app.config import ConfigError, Settings
from app.media import metrics
from app.media.engine.call import Call, CallSettings, EndReason, OfferError
from app.media.engine.ice import MediaTurn, ice_servers, parse_host_addresses, parse_networks
from app.media.engine.retention import sweep, sweep_interval
from app.media.protocol import (
    OFFER_QUEUE,
    REPLY_TTL_SECONDS,
    Answer,
    Hangup,
    Offer,
    ProtocolError,
    control_channel,
)
from app.media.registry import publish_heartbeat, remove_worker
from app.media.storage import (
    create_conversation,
    finish_conversation,
    mark_active,
    reap_lost_workers,
)

log = logging.getLogger("voxhub.media")

POLL_SECONDS = 1.0
"""BRPOP wait, so that a worker notices shutdown and capacity changes promptly."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def call_settings_from(settings: Settings, worker_id: str = "media") -> CallSettings:
    """The per-call configuration a worker derives from the service settings."""
    try:
        host_addresses = parse_host_addresses(settings.media_host_addresses)
    except ValueError as exc:
        raise ConfigError(f"invalid MEDIA_HOST_ADDRESSES: {exc}") from None
    try:
        denied = parse_networks(settings.media_denied_peer_networks)
    except ValueError as exc:
        raise ConfigError(f"invalid MEDIA_DENIED_PEER_NETWORKS: {exc}") from None
    own = [ipaddress.ip_address(address) for address in host_addresses]
    denied = tuple(network for network in denied if not any(a in network for a in own))
    return CallSettings(
        recordings_dir=Path(settings.recordings_dir),
        ice_servers=ice_servers(
            settings.stun_servers,
            settings.turn_url or None,
            settings.turn_username or None,
            settings.turn_password or None,
        ),
        turn=MediaTurn(
            settings.turn_secret, settings.turn_urls, settings.turn_ttl, f"media-{worker_id}"
        )
        if settings.media_use_turn
        else None,
        ice_policy=IcePolicy(
            host_addresses=host_addresses,
            udp_ports=settings.media_udp_ports,
        ),
        inactivity_timeout=settings.media_inactivity_timeout,
        connect_timeout=settings.media_connect_timeout,
        max_call_seconds=settings.media_max_call_seconds,
        recording_max_bytes=settings.recording_max_bytes,
        denied_peer_networks=denied,
    )


class MediaWorker:
    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        db: Database,
        hub: Hub,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.db = db
        self.hub = hub
        self.worker_id = worker_id or default_worker_id()
        self.capacity = settings.media_max_calls
        self.heartbeat_ttl = settings.media_heartbeat_ttl
        self.call_settings = call_settings_from(settings, self.worker_id)
        self.calls: dict[str, Call] = {}
        self._slot_freed = asyncio.Event()
        self._stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._stored: set[str] = set()
        """Calls whose row exists and has not received its final state yet."""
        self._reported: dict[str, tuple[int, int, int]] = {}
        """Per call: recording bytes, echo drops and record drops already added to metrics."""

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        recordings = Path(self.settings.recordings_dir)
        await asyncio.to_thread(recordings.mkdir, parents=True, exist_ok=True)
        metrics.capacity.labels(self.worker_id).set(self.capacity)
        metrics.active_calls.labels(self.worker_id).set(0)
        await self._heartbeat()
        await self.hub.subscribe(control_channel(self.worker_id), self._on_control)
        self._loops = [
            asyncio.create_task(self._offer_loop(), name="media-offers"),
            asyncio.create_task(self._heartbeat_loop(), name="media-heartbeat"),
            asyncio.create_task(self._retention_loop(), name="media-retention"),
        ]
        log.info(
            "media worker %s up: capacity %d, recordings in %s",
            self.worker_id,
            self.capacity,
            self.settings.recordings_dir,
        )

    async def stop(self) -> None:
        """Stop taking offers, finalize every call (SIGTERM path), deregister."""
        if self._stopping:
            return
        self._stopping = True
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        await self.hub.unsubscribe(control_channel(self.worker_id), self._on_control)
        # Offers being negotiated finish first, then every call ends and writes its row.
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await asyncio.gather(
            *(call.close(EndReason.SHUTDOWN) for call in list(self.calls.values())),
            return_exceptions=True,
        )
        if self._tasks:  # the on_end bookkeeping of those calls
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        try:
            await remove_worker(self.redis, self.worker_id)
        except RedisError as exc:
            log.warning("could not deregister media worker %s: %s", self.worker_id, exc)
        metrics.active_calls.labels(self.worker_id).set(0)
        metrics.capacity.labels(self.worker_id).set(0)
        log.info("media worker %s stopped", self.worker_id)

    # -- offers -----------------------------------------------------------------------------

    def _has_free_slot(self) -> bool:
        return len(self.calls) < self.capacity

    async def _offer_loop(self) -> None:
        while not self._stopping:
            if not self._has_free_slot():
                self._slot_freed.clear()
                await self._slot_freed.wait()
                continue
            try:
                item = await self.redis.brpop([OFFER_QUEUE], timeout=POLL_SECONDS)
            except RedisError as exc:
                log.warning("media worker cannot read offers: %s", exc)
                await asyncio.sleep(POLL_SECONDS)
                continue
            if item is None:
                continue
            try:
                offer = Offer.from_json(item[1])
            except ProtocolError as exc:
                log.warning("dropping an unreadable offer: %s", exc)
                continue
            if offer.deadline <= time.time():
                continue  # its API request already gave up
            call = Call(
                offer.conversation_id,
                self.call_settings,
                on_end=self._on_call_end,
                on_active=self._on_call_active,
            )
            self.calls[offer.conversation_id] = call  # the slot is taken from now on
            self._set_gauges()
            self._spawn(self._answer(offer, call))

    async def _answer(self, offer: Offer, call: Call) -> None:
        conversation_id = offer.conversation_id
        try:
            sdp = await call.answer(offer.sdp)
        except OfferError as exc:
            self._release(call)
            await self._reply(offer, self._error(conversation_id, "bad_offer", str(exc)))
            return
        except Exception:
            log.exception("answering offer %s failed", conversation_id)
            self._release(call)
            await self._reply(
                offer, self._error(conversation_id, "failed", "the call could not be set up")
            )
            return
        if time.time() > offer.deadline:
            # The API stopped waiting: the caller never gets this answer. No row is written;
            # the empty recording is removed when the call ends.
            await call.close(EndReason.CLOSED)
            return
        try:
            await create_conversation(
                self.db,
                conversation_id=conversation_id,
                user_id=offer.user_id,
                worker=self.worker_id,
                file_path=str(call.recording_path),
                started_at=datetime.fromtimestamp(call.started_at, UTC),
            )
        except Exception:
            log.exception("storing conversation %s failed", conversation_id)
            await call.close(EndReason.ERROR)
            await self._reply(
                offer, self._error(conversation_id, "failed", "the call could not be stored")
            )
            return
        self._stored.add(conversation_id)
        await self._reply(offer, Answer(conversation_id, self.worker_id, sdp=sdp))
        self._spawn(self._heartbeat())
        # Whatever happened while the row did not exist yet is written now.
        if call.ended:
            await self._store_final(call)
        elif call.state == "active":
            self._on_call_active(call)

    def _error(self, conversation_id: str, error: str, message: str) -> Answer:
        return Answer(conversation_id, self.worker_id, error=error, message=message)

    async def _reply(self, offer: Offer, answer: Answer) -> None:
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lpush(offer.reply_to, answer.to_json())
                pipe.expire(offer.reply_to, REPLY_TTL_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            log.warning("could not reply to offer %s: %s", offer.conversation_id, exc)

    # -- call events --------------------------------------------------------------------------

    def _on_call_active(self, call: Call) -> None:
        self._spawn(self._store(mark_active(self.db, call.conversation_id), call))

    async def _on_call_end(self, call: Call) -> None:
        metrics.calls.labels(call.end_reason.value if call.end_reason else "closed").inc()
        self._report_counters(call)
        self._reported.pop(call.conversation_id, None)
        await self._store_final(call)
        self._release(call)
        if not self._stopping:
            self._spawn(self._heartbeat())

    async def _store_final(self, call: Call) -> None:
        """Write how the call ended, once its row exists (see `_answer`)."""
        if call.conversation_id not in self._stored:
            return
        self._stored.discard(call.conversation_id)
        stats = call.stats()
        await self._store(
            finish_conversation(
                self.db,
                call.conversation_id,
                state="failed" if stats.state == "failed" else "ended",
                end_reason=stats.end_reason or "closed",
                ended_at=datetime.fromtimestamp(stats.ended_at or time.time(), UTC),
                duration=stats.duration,
                size=stats.recording_bytes,
                packets=stats.packets_received,
                echo_drops=stats.echo_dropped,
            ),
            call,
        )

    async def _store(self, operation: Any, call: Call) -> None:
        try:
            await operation
        except Exception:
            log.exception("updating conversation %s failed", call.conversation_id)

    def _release(self, call: Call) -> None:
        if self.calls.get(call.conversation_id) is call:
            del self.calls[call.conversation_id]
        self._set_gauges()
        self._slot_freed.set()

    # -- control ------------------------------------------------------------------------------

    def _on_control(self, channel: str, payload: str) -> None:
        try:
            command = Hangup.from_json(payload)
        except ProtocolError as exc:
            log.warning("ignoring a control message: %s", exc)
            return
        self._spawn(self._hang_up(command))

    async def _hang_up(self, command: Hangup) -> None:
        call = self.calls.get(command.conversation_id)
        if call is not None:
            await call.close(EndReason.HANGUP)  # returns once on_end wrote the row
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lpush(command.reply_to, "done")
                pipe.expire(command.reply_to, REPLY_TTL_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            log.warning("could not confirm hang-up of %s: %s", command.conversation_id, exc)

    # -- heartbeat ----------------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        info = {
            "calls": len(self.calls),
            "capacity": 0 if self._stopping else self.capacity,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "updated": time.time(),
        }
        await publish_heartbeat(self.redis, self.worker_id, info, self.heartbeat_ttl)

    async def _heartbeat_loop(self) -> None:
        interval = self.heartbeat_ttl / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self._heartbeat()
            except RedisError as exc:
                log.warning("media worker heartbeat failed: %s", exc)
            for call in list(self.calls.values()):
                self._report_counters(call)
            try:
                failed = await reap_lost_workers(
                    self.db, self.redis, self.settings.recordings_dir, alive=[self.worker_id]
                )
            except Exception:
                log.exception("reaping lost media workers failed")
            else:
                if failed:
                    metrics.lost_worker_calls.inc(failed)
                    log.warning("marked %d calls of lost media workers failed", failed)

    async def _retention_loop(self) -> None:
        """Delete recordings older than RECORDING_RETENTION (`app/media/engine/retention.py`)."""
        retention = self.settings.recording_retention
        while True:
            try:
                removed = await asyncio.to_thread(
                    sweep, self.settings.recordings_dir, retention, set(self.calls)
                )
            except Exception:
                log.exception("sweeping expired recordings failed")
            else:
                if removed:
                    metrics.recordings_expired.inc(removed)
                    log.info("deleted %d recordings older than %.0f s", removed, retention)
            await asyncio.sleep(sweep_interval(retention))

    def _report_counters(self, call: Call) -> None:
        """Add what a call wrote/dropped since the last report to the counters."""
        recorder = call.recorder
        now = (
            recorder.bytes_written if recorder else 0,
            call.echo.dropped,
            recorder.dropped if recorder else 0,
        )
        before = self._reported.get(call.conversation_id, (0, 0, 0))
        metrics.recording_bytes.inc(max(0, now[0] - before[0]))
        metrics.echo_drops.inc(max(0, now[1] - before[1]))
        metrics.record_drops.inc(max(0, now[2] - before[2]))
        self._reported[call.conversation_id] = now

    def _set_gauges(self) -> None:
        metrics.active_calls.labels(self.worker_id).set(len(self.calls))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
