"""Seed 001's signaling (`POST /webrtc`, plus `DELETE /webrtc/{id}`) and conversation reads.

The offer is checked here and handed to a media worker through the worker's `MediaService`,
which returns the worker's answer; the API worker holds no call state. A JWT makes the
conversation the caller's; anonymous calls stay allowed, as in the seed.
"""

from __future__ import annotations

import time
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, ResponseStream, empty, file_stream, raw

from app.auth.guards import current_identity
from app.auth.identity import Identity
from app.errors import DomainError, bad_request, forbidden, too_many
from app.http.bodies import ErrorBody, document, parse, respond
from app.media import metrics
from app.media.schemas import AnswerBody, ConversationBody, OfferBody
from app.media.sdp import InvalidOffer, check_offer
from app.media.service import MediaService
from app.media.signaling import MediaUnavailable, OfferRefused
from app.services import services_of

bp = Blueprint("media")

READ_ERRORS = {401: ErrorBody, 403: ErrorBody, 404: ErrorBody}

MAX_OFFER_BYTES = 64 * 1024
"""An audio offer is a few kilobytes; anything near this is not one."""
OFFER_SHAPE = 'expected {"type": "offer", "sdp": "..."}'


def _media(request: Request) -> MediaService:
    return services_of(request.app).get(MediaService)


def _content_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _read_offer(request: Request) -> tuple[str, bool]:
    """The offer's SDP and whether the client speaks JSON; 4xx for anything else."""
    kind = _content_type(request)
    if kind not in ("application/sdp", "application/json"):
        metrics.offers.labels("unsupported_media_type").inc()
        raise DomainError(415, "send the SDP offer as application/sdp, or JSON {type, sdp}")
    if len(request.body) > MAX_OFFER_BYTES:
        metrics.offers.labels("too_large").inc()
        raise DomainError(413, f"an SDP offer is at most {MAX_OFFER_BYTES} bytes")
    if kind == "application/json":
        try:
            offer = parse(OfferBody, request.json)
        except DomainError:
            metrics.offers.labels("bad_offer").inc()
            raise bad_request(OFFER_SHAPE) from None
        return offer.sdp, True
    try:
        return request.body.decode("utf-8"), False
    except UnicodeDecodeError:
        metrics.offers.labels("bad_offer").inc()
        raise bad_request("the SDP offer is not UTF-8 text") from None


@bp.post("/webrtc")
@document(
    "Start an echo-and-record call: SDP offer in, SDP answer out",
    description="Body: the SDP offer as `application/sdp`, or JSON `{type: offer, sdp}`. "
    "201 with the answer (same format), `X-Conversation-Id` and `Location`. 400 for an "
    "unusable offer, 429 past MEDIA_OFFERS_PER_MINUTE (per address and per identity), 503 "
    "with `Retry-After` when no media worker has room.",
    body={"application/sdp": str, "application/json": OfferBody},
    responses={
        201: {"application/sdp": str, "application/json": AnswerBody},
        400: ErrorBody,
        413: ErrorBody,
        415: ErrorBody,
        429: ErrorBody,
        503: ErrorBody,
    },
    public=True,
)
async def create_call(request: Request) -> HTTPResponse:
    started = time.perf_counter()
    identity: Identity | None = getattr(request.ctx, "identity", None)
    await _limit_offers(request, identity)
    sdp, as_json = _read_offer(request)
    try:
        check_offer(sdp)
    except InvalidOffer as exc:
        metrics.offers.labels("bad_offer").inc()
        raise bad_request(str(exc)) from None
    user_id = identity.user_id if identity is not None else None
    try:
        call = await _media(request).place_call(sdp, user_id)
    except OfferRefused:
        metrics.offers.labels("bad_offer").inc()
        raise
    except MediaUnavailable as exc:
        metrics.offers.labels(exc.reason).inc()
        raise
    metrics.offers.labels("answered").inc()
    metrics.answer_latency.observe(time.perf_counter() - started)
    headers = {
        "X-Conversation-Id": call.conversation_id,
        "Location": f"/webrtc/{call.conversation_id}",
    }
    if as_json:
        answer = AnswerBody(sdp=call.sdp, conversation_id=call.conversation_id)
        return respond(answer, status=201, headers=headers)
    return raw(call.sdp.encode(), status=201, headers=headers, content_type="application/sdp")


async def _limit_offers(request: Request, identity: Identity | None) -> None:
    """MEDIA_OFFERS_PER_MINUTE from one address and, with a token, from one identity: each
    offer holds a media worker's slot until it connects or times out, so an unlimited caller
    could keep every worker full. Counted before the offer is read, bad offers included."""
    services = services_of(request.app)
    per_minute = services.settings.media_offers_per_minute
    keys = [f"webrtc:ip:{request.remote_addr or request.ip}"]
    if identity is not None:
        keys.append(f"webrtc:id:{identity.sub}")
    for key in keys:
        if not await services.limiter.allow_exact(key, per_minute):
            metrics.offers.labels("rate_limited").inc()
            raise too_many("too many calls placed; retry later", retry_after=60)


def _authorize_read(request: Request, row: dict[str, Any]) -> None:
    """Owner, service or admin; anonymous calls are readable by service and admin only."""
    identity = current_identity(request)
    owner = row["user_id"]
    allowed = identity.privileged if owner is None else identity.may_act_for(int(owner))
    if not allowed:
        raise forbidden("this conversation is not yours")


@bp.delete("/webrtc/<conversation_id:str>")
@document(
    "Hang up a call (204); the recording is finalized",
    responses={401: ErrorBody, 403: ErrorBody, 404: ErrorBody},
    public=True,
)
async def delete_call(request: Request, conversation_id: str) -> HTTPResponse:
    media = _media(request)
    row = await media.conversation(conversation_id)
    if row["user_id"] is not None:
        # An owned call needs its owner's (or a service's) token; an anonymous caller's
        # unguessable conversation id is its capability, as in the seed.
        _authorize_read(request, row)
    await media.hang_up(row)
    return empty(status=204)


@bp.get("/api/conversations/<conversation_id:str>")
@document(
    "A conversation: state, times, duration, recording size",
    responses={200: ConversationBody, **READ_ERRORS},
)
async def get_call(request: Request, conversation_id: str) -> HTTPResponse:
    current_identity(request)  # 401 before anything about the id is revealed
    row = await _media(request).conversation(conversation_id)
    _authorize_read(request, row)
    return respond(ConversationBody.from_row(row))


@bp.get("/api/conversations/<conversation_id:str>/recording")
@document(
    "The conversation's recording (OGG/Opus, 48 kHz)",
    responses={200: {"audio/ogg": bytes}, **READ_ERRORS},
)
async def get_recording(request: Request, conversation_id: str) -> ResponseStream:
    current_identity(request)
    media = _media(request)
    row = await media.conversation(conversation_id)
    _authorize_read(request, row)
    path = await media.recording(row["id"])
    return await file_stream(
        path,
        mime_type="audio/ogg",
        headers={"Content-Disposition": f'attachment; filename="{row["id"]}.ogg"'},
    )
