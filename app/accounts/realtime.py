"""Ephemeral OpenAI Realtime secrets, minted with the real `openai` SDK.

The browser talks to OpenAI directly with a short-lived secret, so the API key never leaves
the server. The SDK does not retry here: a retry would hold the client's request for OpenAI's
backoff, and a 502 lets the client decide. Every SDK failure becomes a 502 naming the reason.
"""

from __future__ import annotations

from typing import Any

import openai
from openai import AsyncOpenAI

from app.config import Settings
from app.errors import DomainError

DEFAULT_INSTRUCTIONS = (
    "You are a friendly voice assistant. Speak naturally, listen carefully and keep answers short."
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


async def mint_client_secret(
    client: AsyncOpenAI, settings: Settings, instructions: str
) -> dict[str, Any]:
    """OpenAI's `{"value", "expires_at", "session"}` plus the beta-era `client_secret` object."""
    try:
        secret = await client.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": int(settings.openai_realtime_ttl)},
            session={
                "type": "realtime",
                "model": settings.openai_realtime_model,
                "instructions": instructions,
                "audio": {"output": {"voice": settings.openai_realtime_voice}},
            },
        )
    except openai.APITimeoutError:
        raise DomainError(502, "OpenAI did not answer in time") from None
    except openai.APIStatusError as exc:
        raise DomainError(
            502,
            f"OpenAI refused the request ({exc.status_code}): {_upstream_message(exc)}",
            upstream_status=exc.status_code,
        ) from None
    except openai.OpenAIError as exc:
        raise DomainError(502, f"OpenAI is unreachable: {type(exc).__name__}") from None
    body = secret.to_dict(mode="json")
    body["client_secret"] = {"value": secret.value, "expires_at": secret.expires_at}
    return body
