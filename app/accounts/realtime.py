"""Ephemeral OpenAI Realtime secrets, minted with the real `openai` SDK.

The browser talks to OpenAI directly with a short-lived secret, so the API key never leaves
the server. The SDK does not retry here: a retry would hold the client's request for OpenAI's
backoff, and a 502 lets the client decide. Every SDK failure becomes a 502 naming the reason.

The session's instructions are the selected prompt, a note to speak in the feminine when the
voice or the prompt is female (the mini-app's users speak Russian, where grammar has gender),
then the last messages of the conversation, so a new session picks up where the last one ended.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import openai
from databases import Database
from openai import AsyncOpenAI

from app.accounts.conversation import last_messages
from app.accounts.prompts import usable_prompt
from app.accounts.voices import FEMININE_VOICES
from app.config import Settings
from app.errors import DomainError, not_found

DEFAULT_INSTRUCTIONS = (
    "You are a friendly voice assistant. Speak naturally, listen carefully and keep answers short."
)
FEMININE_NOTE = (
    "Ты говоришь женским голосом: всегда говори о себе в женском роде "
    "(например: «я рада», «я поняла», «я сказала»)."
)
HISTORY_HEADER = "Предыдущий разговор с пользователем (продолжи его естественно):"
SPEAKERS = {"user": "Пользователь", "assistant": "Ассистент"}
# The messages a new session is told about: the mini-app's own history window.
CONTEXT_MESSAGES = 6


def build_instructions(
    prompt: str | None,
    voice: str,
    voice_gender: str | None,
    messages: Sequence[dict[str, Any]],
) -> str:
    """The prompt (or the default), the feminine note when it applies, then the messages in
    the order they were said."""
    parts = [prompt or DEFAULT_INSTRUCTIONS]
    if voice in FEMININE_VOICES or (voice_gender or "").lower() == "female":
        parts.append(FEMININE_NOTE)
    if messages:
        lines = [
            f"{SPEAKERS.get(message['message_type'], message['message_type'])}: "
            f"{message['content']}"
            for message in messages
        ]
        parts.append("\n".join([HISTORY_HEADER, *lines]))
    return "\n\n".join(parts)


async def session_instructions(
    db: Database, user_id: int, prompt_id: int | None, voice: str, *, named: bool = False
) -> str:
    """A new session's instructions from the prompt `prompt_id` (the user's selection, or one
    they `named`: then a prompt they may not use is a 404) and the last messages."""
    prompt = await usable_prompt(db, user_id, prompt_id)
    if named and prompt is None:
        raise not_found("prompt not found")
    messages = await last_messages(db, user_id, CONTEXT_MESSAGES)
    return build_instructions(
        prompt["content"] if prompt else None,
        voice,
        prompt["voice_gender"] if prompt else None,
        messages,
    )


def create_client(settings: Settings) -> AsyncOpenAI | None:
    """One client (one connection pool) per worker; None when no key is configured."""
    if not settings.openai_api_key:
        return None
    return AsyncOpenAI(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url or None,
        timeout=settings.openai_timeout,
        max_retries=0,
    )


def _upstream_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if isinstance(message, str) and message:
            return message[:200]
    return exc.response.reason_phrase or "error"


@contextmanager
def upstream_errors(bad_request_status: int = 502) -> Iterator[None]:
    """Every SDK failure as a DomainError naming the reason: 502 (or `bad_request_status` for
    OpenAI's 400, which is the client's input, such as an SDP offer it refused)."""
    try:
        yield
    except openai.APITimeoutError:
        raise DomainError(502, "OpenAI did not answer in time") from None
    except openai.APIStatusError as exc:
        status = bad_request_status if exc.status_code == 400 else 502
        raise DomainError(
            status,
            f"OpenAI refused the request ({exc.status_code}): {_upstream_message(exc)}",
            upstream_status=exc.status_code,
        ) from None
    except openai.OpenAIError as exc:
        raise DomainError(502, f"OpenAI is unreachable: {type(exc).__name__}") from None


async def mint_client_secret(
    client: AsyncOpenAI, settings: Settings, model: str, voice: str, instructions: str
) -> dict[str, Any]:
    """OpenAI's `{"value", "expires_at", "session"}` plus the beta-era `client_secret` object."""
    with upstream_errors():
        secret = await client.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": int(settings.openai_realtime_ttl)},
            session={
                "type": "realtime",
                "model": model,
                "instructions": instructions,
                "audio": {"output": {"voice": voice}},
            },
        )
    body = secret.to_dict(mode="json")
    body["client_secret"] = {"value": secret.value, "expires_at": secret.expires_at}
    return body
