"""Seed 001's signaling (`POST /webrtc`, plus `DELETE /webrtc/{id}`) and conversation reads.

The offer is checked here, handed to a media worker through Redis (`app.media.signaling`) and
its answer returned; the API worker holds no call state. A JWT makes the conversation the
caller's; anonymous calls stay allowed, as in the seed.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, file_stream, json, raw
from sanic_ext import openapi

from app.auth.guards import current_identity
from app.auth.identity import Identity
from app.errors import ApiError
from app.media import metrics
from app.media.protocol import is_conversation_id
from app.media.sdp import InvalidOffer, check_offer
from app.media.signaling import (
    RETRY_AFTER_SECONDS,
    MediaUnavailable,
    OfferRefused,
    hang_up,
    place_call,
)
from app.media.storage import get_conversation, public_view, reap_lost_workers

bp = Blueprint("media")

SDP_JSON = {"type": str, "sdp": str}
ERROR = {"application/json": {"error": str}}
READ_ERRORS = [openapi.definitions.Response(ERROR, status=code) for code in (401, 403, 404)]
CONVERSATION = {
    "id": str,
    "user_id": int,
    "worker": str,
    "state": str,
    "end_reason": str,
    "started_at": str,
    "ended_at": str,
    "duration": float,
    "bytes": int,
    "packets": int,
    "echo_drops": int,
    "recording_url": str,
}

MAX_OFFER_BYTES = 64 * 1024
"""An audio offer is a few kilobytes; anything near this is not one."""
HANGUP_WAIT_SECONDS = 5.0
RECORDING_NAME = "user_audio.ogg"


def recording_path(recordings_dir: str, conversation_id: str) -> Path | None:
    """The recording of a conversation, or None; never a path outside `recordings_dir`.

    The id was validated as 32 hex digits; resolving and re-checking the parent makes a
    traversal impossible even if that validation ever changed.
    """
    root = Path(recordings_dir).resolve()
    path = (root / conversation_id / RECORDING_NAME).resolve()
    if path.parent.parent != root or not path.is_file():
        return None
    return path


def _content_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _read_offer(request: Request) -> tuple[str, bool]:
    """The offer's SDP and whether the client speaks JSON; 4xx for anything else."""
    kind = _content_type(request)
    if kind not in ("application/sdp", "application/json"):
        metrics.offers.labels("unsupported_media_type").inc()
        raise ApiError(415, "send the SDP offer as application/sdp, or JSON {type, sdp}")
    if len(request.body) > MAX_OFFER_BYTES:
        metrics.offers.labels("too_large").inc()
        raise ApiError(413, f"an SDP offer is at most {MAX_OFFER_BYTES} bytes")
    if kind == "application/json":
        body = request.json
        if (
            not isinstance(body, dict)
            or body.get("type") != "offer"
            or not isinstance(body.get("sdp"), str)
        ):
            metrics.offers.labels("bad_offer").inc()
            raise ApiError(400, 'expected {"type": "offer", "sdp": "..."}')
        return body["sdp"], True
    try:
        return request.body.decode("utf-8"), False
    except UnicodeDecodeError:
        metrics.offers.labels("bad_offer").inc()
        raise ApiError(400, "the SDP offer is not UTF-8 text") from None


@bp.post("/webrtc")
@openapi.definition(
    summary="Start an echo-and-record call: SDP offer in, SDP answer out",
    description="Body: the SDP offer as `application/sdp`, or JSON `{type: offer, sdp}`. "
    "201 with the answer (same format), `X-Conversation-Id` and `Location`. 400 for an "
    "unusable offer, 503 with `Retry-After` when no media worker has room.",
    body={"application/sdp": str, "application/json": SDP_JSON},
    response=[
        openapi.definitions.Response(
            {"application/sdp": str, "application/json": SDP_JSON}, status=201
        ),
        openapi.definitions.Response(ERROR, status=400),
        openapi.definitions.Response(ERROR, status=413),
        openapi.definitions.Response(ERROR, status=415),
        openapi.definitions.Response(ERROR, status=503),
    ],
)
async def create_call(request: Request) -> HTTPResponse:
    started = time.perf_counter()
    sdp, as_json = _read_offer(request)
    try:
        check_offer(sdp)
    except InvalidOffer as exc:
        metrics.offers.labels("bad_offer").inc()
        raise ApiError(400, str(exc)) from None
    identity: Identity | None = getattr(request.ctx, "identity", None)
    user_id = identity.user_id if identity is not None else None
    settings = request.app.ctx.settings
    try:
        call = await place_call(request.app.ctx.redis, sdp, user_id, settings.media_answer_timeout)
    except OfferRefused as exc:
        metrics.offers.labels("bad_offer").inc()
        raise ApiError(400, str(exc)) from None
    except MediaUnavailable as exc:
        metrics.offers.labels(exc.reason).inc()
        raise ApiError(503, str(exc), headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    metrics.offers.labels("answered").inc()
    metrics.answer_latency.observe(time.perf_counter() - started)
    headers = {
        "X-Conversation-Id": call.conversation_id,
        "Location": f"/webrtc/{call.conversation_id}",
    }
    if as_json:
        body = {"type": "answer", "sdp": call.sdp, "conversation_id": call.conversation_id}
        return json(body, status=201, headers=headers)
    return raw(call.sdp.encode(), status=201, headers=headers, content_type="application/sdp")


async def _load(request: Request, conversation_id: str) -> dict[str, Any]:
    """The conversation, with a vanished worker's live call already marked failed."""
    if not is_conversation_id(conversation_id):
        raise ApiError(404, "conversation not found")
    db = request.app.ctx.db
    row = await get_conversation(db, conversation_id)
    if row is None:
        raise ApiError(404, "conversation not found")
    if row["state"] in ("connecting", "active"):
        settings = request.app.ctx.settings
        if await reap_lost_workers(db, request.app.ctx.redis, settings.recordings_dir):
            row = await get_conversation(db, conversation_id) or row
    return row


def _authorize_read(request: Request, row: dict[str, Any]) -> None:
    """Owner, service or admin; anonymous calls are readable by service and admin only."""
    identity = current_identity(request)
    owner = row["user_id"]
    allowed = identity.privileged if owner is None else identity.may_act_for(int(owner))
    if not allowed:
        raise ApiError(403, "this conversation is not yours")


@bp.delete("/webrtc/<conversation_id:str>")
@openapi.definition(summary="Hang up a call (204); the recording is finalized")
async def delete_call(request: Request, conversation_id: str) -> HTTPResponse:
    row = await _load(request, conversation_id)
    if row["user_id"] is not None:
        # An owned call needs its owner's (or a service's) token; an anonymous caller's
        # unguessable conversation id is its capability, as in the seed.
        _authorize_read(request, row)
    if row["state"] in ("connecting", "active"):
        await hang_up(request.app.ctx.hub, row["worker"], conversation_id, HANGUP_WAIT_SECONDS)
    return empty(status=204)


@bp.get("/api/conversations/<conversation_id:str>")
@openapi.definition(
    summary="A conversation: state, times, duration, recording size",
    response=[
        openapi.definitions.Response({"application/json": CONVERSATION}, status=200),
        *READ_ERRORS,
    ],
)
async def get_call(request: Request, conversation_id: str) -> HTTPResponse:
    current_identity(request)  # 401 before anything about the id is revealed
    row = await _load(request, conversation_id)
    _authorize_read(request, row)
    return json(public_view(row))


@bp.get("/api/conversations/<conversation_id:str>/recording")
@openapi.definition(
    summary="The conversation's recording (OGG/Opus, 48 kHz)",
    response=[openapi.definitions.Response({"audio/ogg": bytes}, status=200), *READ_ERRORS],
)
async def get_recording(request: Request, conversation_id: str) -> HTTPResponse:
    current_identity(request)
    row = await _load(request, conversation_id)
    _authorize_read(request, row)
    path = await asyncio.to_thread(
        recording_path, request.app.ctx.settings.recordings_dir, row["id"]
    )
    if path is None:
        raise ApiError(404, "no recording for this conversation")
    return await file_stream(
        path,
        mime_type="audio/ogg",
        headers={"Content-Disposition": f'attachment; filename="{row["id"]}.ogg"'},
    )
