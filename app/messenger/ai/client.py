"""One call to the model through the `openai` SDK: the Responses API or chat completions.

`AI_API=chat` serves OpenAI-compatible local servers (Ollama, vLLM, llama.cpp) that only speak
chat completions. SDK retries stay at zero: the job queue retries with its own backoff and
counts attempts, and retrying in two layers would multiply the load on a failing upstream.
"""

from __future__ import annotations

from dataclasses import dataclass

from openai import APIStatusError, AsyncOpenAI

from app.config import Settings

SDK_RETRIES = 0

# Statuses worth retrying: timeouts, conflicts, rate limits; other 4xx will fail the same way.
_RETRYABLE_CLIENT_STATUSES = frozenset({408, 409, 429})


class EmptyAnswer(RuntimeError):
    """The model answered with no text: nothing to store, worth another attempt."""


def is_permanent(exc: BaseException) -> bool:
    """A failure that no retry can fix (bad key, bad request): dead-letter it at once."""
    return (
        isinstance(exc, APIStatusError)
        and 400 <= exc.status_code < 500
        and exc.status_code not in _RETRYABLE_CLIENT_STATUSES
    )


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    tokens: int
    """What the model reported the call cost (`usage.total_tokens`; 0 when not reported):
    charged to the member the job works for."""


class AiClient:
    def __init__(self, settings: Settings) -> None:
        self.api = settings.ai_api
        self.model = settings.ai_model
        self.client = AsyncOpenAI(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url or None,
            timeout=settings.openai_timeout,
            max_retries=SDK_RETRIES,
        )

    async def complete(self, instructions: str, prompt: str) -> Completion:
        if self.api == "chat":
            completion = await self.client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": instructions},
                    {"role": "user", "content": prompt},
                ],
            )
            text = (completion.choices[0].message.content or "") if completion.choices else ""
            tokens = completion.usage.total_tokens if completion.usage else 0
        else:
            response = await self.client.responses.create(
                model=self.model, instructions=instructions, input=prompt
            )
            text = response.output_text
            tokens = response.usage.total_tokens if response.usage else 0
        text = text.strip()
        if not text:
            raise EmptyAnswer("the model returned no text")
        return Completion(text, max(0, tokens))

    async def close(self) -> None:
        await self.client.close()
