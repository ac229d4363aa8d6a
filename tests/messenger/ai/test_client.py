"""The model call through the real `openai` SDK against the fake server, both APIs."""

import pytest
from openai import APIStatusError, InternalServerError

from app.config import Settings
from app.messenger.ai.client import AiClient, EmptyAnswer, is_permanent
from tests.fixtures.fake_openai import FakeOpenAI


def _client(fake: FakeOpenAI, api: str, key: str = "test") -> AiClient:
    return AiClient(
        Settings.from_env(
            {
                "OPENAI_API_KEY": key,
                "OPENAI_BASE_URL": fake.url + "/v1",
                "AI_API": api,
                "AI_MODEL": "fake-model",
                "OPENAI_TIMEOUT": "5s",
            },
            dotenv=False,
        )
    )


@pytest.mark.parametrize("api", ["responses", "chat"])
async def test_both_apis_return_the_model_text(api: str) -> None:
    with FakeOpenAI() as fake:
        route = fake.responses if api == "responses" else fake.chat_completions
        route.text = "  be kind  "
        client = _client(fake, api)
        try:
            completion = await client.complete("advise", "you: hi")
            assert (completion.text, completion.tokens) == ("be kind", 15)
        finally:
            await client.close()
        assert route.count == 1
        body = route.requests[0]
        assert body["model"] == "fake-model"
        if api == "responses":
            assert body["instructions"] == "advise" and body["input"] == "you: hi"
        else:
            assert body["messages"][0] == {"role": "system", "content": "advise"}


async def test_errors_are_not_retried_by_the_sdk_and_classified() -> None:
    with FakeOpenAI() as fake:
        client = _client(fake, "responses")
        try:
            fake.responses.fail(500)
            with pytest.raises(InternalServerError) as server_error:
                await client.complete("i", "p")
            assert fake.responses.count == 1  # the queue retries, not the SDK
            assert not is_permanent(server_error.value)
            fake.responses.fail(429, times=1)
            with pytest.raises(APIStatusError) as limited:
                await client.complete("i", "p")
            assert not is_permanent(limited.value)
            fake.responses.succeed()
            fake.responses.text = "   "
            with pytest.raises(EmptyAnswer):
                await client.complete("i", "p")
        finally:
            await client.close()
        wrong_key = _client(fake, "chat", key="wrong")
        try:
            with pytest.raises(APIStatusError) as refused:
                await wrong_key.complete("i", "p")
            assert refused.value.status_code == 401 and is_permanent(refused.value)
        finally:
            await wrong_key.close()
