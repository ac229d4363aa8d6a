"""OpenAI's Realtime calls API through the real `openai` SDK: create, hang up, sideband.

`calls.create` posts the browser's SDP offer and the session (multipart) with the server's key
and answers the SDP answer; the call id is the last segment of the answer's `Location`. The
sideband is `client.realtime.connect(call_id=…)`, read as raw JSON events (the SDK's own
reconnecting is off: a lost sideband is the engine's to re-attach, under its lease).
"""

from __future__ import annotations

import time
from typing import Any

from openai import AsyncOpenAI
from openai.resources.realtime.realtime import AsyncRealtimeConnectionManager

from app.accounts.calls.metrics import openai_latency
from app.accounts.realtime import upstream_errors
from app.errors import DomainError

# The transcription model asked for, so the sideband sees what the user said.
TRANSCRIPTION_MODEL = "gpt-4o-mini-transcribe"


def session_config(model: str, voice: str, instructions: str) -> dict[str, Any]:
    return {
        "type": "realtime",
        "model": model,
        "instructions": instructions,
        "audio": {
            "input": {"transcription": {"model": TRANSCRIPTION_MODEL}},
            "output": {"voice": voice},
        },
    }


def call_id_from_location(location: str | None) -> str:
    call_id = (location or "").rstrip("/").rsplit("/", 1)[-1]
    if not call_id or len(call_id) > 128 or not call_id.isascii():
        raise DomainError(502, "OpenAI answered without a call id")
    return call_id


async def create_call(client: AsyncOpenAI, sdp: str, session: dict[str, Any]) -> tuple[str, str]:
    """(call id, SDP answer); 400 when OpenAI refuses the offer, 502 for anything else."""
    started = time.perf_counter()
    try:
        with upstream_errors(bad_request_status=400):
            raw = await client.realtime.calls.with_raw_response.create(
                sdp=sdp,
                session=session,  # type: ignore[arg-type]  # a RealtimeSessionCreateRequestParam
            )
    finally:
        openai_latency.labels("create").observe(time.perf_counter() - started)
    answer = raw.http_response.text
    if not answer.startswith("v=0"):
        raise DomainError(502, "OpenAI answered without an SDP answer")
    return call_id_from_location(raw.headers.get("location")), answer


async def hang_up(client: AsyncOpenAI, call_id: str) -> None:
    """Hang up; a call OpenAI no longer knows (404) is down already, which is what was asked."""
    started = time.perf_counter()
    try:
        with upstream_errors():
            await client.realtime.calls.hangup(call_id)
    except DomainError as exc:
        if exc.fields.get("upstream_status") != 404:
            raise
    finally:
        openai_latency.labels("hangup").observe(time.perf_counter() - started)


def sideband(client: AsyncOpenAI, call_id: str) -> AsyncRealtimeConnectionManager:
    return client.realtime.connect(call_id=call_id)
