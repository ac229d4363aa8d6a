"""`Idempotency-Key`: the first request with a key does the work, replays get its answer.

The record is claimed with `INSERT … ON CONFLICT DO NOTHING` as the first statement of the
same transaction that moves the balance. A concurrent replay therefore waits on the claim
(a row lock on PostgreSQL, the write lock on SQLite) and, once the first commits, reads its
stored answer; if the first rolls back (a 404), the replay does the work itself.

Every route that honours a key is one of seed 000's, so answers are stored as the enveloped
bodies its client reads (`{"success": true, "data": ...}`, a 402 as `{"success": false, ...}`)
and a replay is byte-for-byte the shape of a first answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from databases import Database
from sanic import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from app.db.sql import insert_ignoring_conflicts
from app.db.tables.accounts import idempotency_records
from app.errors import DomainError, bad_request
from app.http.bodies import adapter
from app.http.envelopes import SUCCESS_DATA

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Outcomes that are final answers to the request (stored and replayed); other errors roll
# the claim back so that a corrected retry can still succeed.
STORED_ERRORS = frozenset({402})


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = field(default=False)

    @classmethod
    def success(cls, shape: Any, data: Any) -> Outcome:
        """A 200 whose `data` is checked and serialized as `shape`, like `respond_data`."""
        checked = adapter(shape)
        dumped = checked.dump_python(checked.validate_python(data, strict=False), mode="json")
        return cls(200, {"success": True, "data": dumped})

    def response(self) -> HTTPResponse:
        headers = {REPLAYED_HEADER: "true"} if self.replayed else None
        return json_response(self.body, status=self.status, headers=headers)


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise bad_request(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


def _fingerprint(operation: str, request_body: dict[str, Any]) -> str:
    canonical = json.dumps([operation, request_body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _settle(action: Callable[[], Awaitable[Outcome]]) -> Outcome:
    try:
        return await action()
    except DomainError as exc:
        if exc.status not in STORED_ERRORS:
            raise
        return Outcome(exc.status, SUCCESS_DATA.error(exc.message, exc.fields))


async def run_once(
    db: Database,
    *,
    user_id: int,
    key: str | None,
    operation: str,
    request_body: dict[str, Any],
    action: Callable[[], Awaitable[Outcome]],
) -> Outcome:
    """Run `action` in one transaction, at most once per (user, key)."""
    if key is None:
        async with db.transaction():
            return await _settle(action)
    fingerprint = _fingerprint(operation, request_body)
    async with db.transaction():
        claimed = await db.fetch_val(
            insert_ignoring_conflicts(db, idempotency_records, "user_id", "key")
            .values(user_id=user_id, key=key, operation=operation, fingerprint=fingerprint)
            .returning(idempotency_records.c.id)
        )
        if claimed is not None:
            outcome = await _settle(action)
            await db.execute(
                idempotency_records.update()
                .where(idempotency_records.c.id == claimed)
                .values(status_code=outcome.status, response=json.dumps(outcome.body))
            )
            return outcome
    return await _replay(db, user_id, key, fingerprint)


async def _replay(db: Database, user_id: int, key: str, fingerprint: str) -> Outcome:
    record = await db.fetch_one(
        sa.select(idempotency_records).where(
            idempotency_records.c.user_id == user_id, idempotency_records.c.key == key
        )
    )
    if record is None:
        raise DomainError(409, f"a request with this {HEADER} is still in progress; retry")
    if record["fingerprint"] != fingerprint:
        raise DomainError(422, f"this {HEADER} was already used for a different request")
    return Outcome(record["status_code"], json.loads(record["response"]), replayed=True)
