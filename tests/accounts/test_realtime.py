"""GET /api/token against a local OpenAI-compatible server, through the real `openai` SDK."""

from collections.abc import Iterator

import httpx
import pytest

from tests.accounts.client import Api
from tests.fixtures.fake_openai import FakeOpenAI, FakeRoute
from tests.fixtures.voxhub_server import VoxhubServer

SECRETS = "/v1/realtime/client_secrets"


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-test-realtime") as fake:
        yield fake


@pytest.fixture(scope="module")
def realtime_api(fake_openai: FakeOpenAI) -> Iterator[Api]:
    server = VoxhubServer(
        REDIS_URL="memory://",
        OPENAI_API_KEY="sk-test-realtime",
        OPENAI_BASE_URL=fake_openai.url + "/v1",
        OPENAI_TIMEOUT="1s",
        OPENAI_REALTIME_MODEL="gpt-realtime-test",
        OPENAI_REALTIME_VOICE="marin",
        MIN_TOKEN_THRESHOLD="2000",
    )
    server.start()
    yield Api(server)
    server.stop()


@pytest.fixture
def secrets(fake_openai: FakeOpenAI) -> Iterator[FakeRoute]:
    route = fake_openai.route(SECRETS)
    yield route
    route.succeed()
    route.release()


def test_mints_a_secret_with_the_selected_prompt(realtime_api: Api, secrets: FakeRoute) -> None:
    api = realtime_api
    user_id, me = api.create_user(balance=2000)
    minted_before = api.metric("voxhub_realtime_tokens_minted_total")
    httpx.post(
        api.url + "/api/prompts",
        json={"name": "coach", "content": "Be a patient English coach."},
        headers=me,
    )
    response = httpx.get(api.url + "/api/token", params={"user_id": user_id}, headers=me)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["value"].startswith("ek_fake_")
    assert body["client_secret"] == {"value": body["value"], "expires_at": body["expires_at"]}
    assert body["session"]["model"] == "gpt-realtime-test"
    sent = secrets.requests[-1]
    assert sent["expires_after"] == {"anchor": "created_at", "seconds": 600}
    assert sent["session"] == {
        "type": "realtime",
        "model": "gpt-realtime-test",
        "instructions": "Be a patient English coach.",
        "audio": {"output": {"voice": "marin"}},
    }
    assert api.metric("voxhub_realtime_tokens_minted_total") == minted_before + 1
    assert api.balance(user_id) == 2000  # minting itself is free


def test_default_instructions_without_a_prompt(realtime_api: Api, secrets: FakeRoute) -> None:
    user_id, me = realtime_api.create_user(balance=2500)
    response = httpx.get(realtime_api.url + "/api/token", headers=me)
    assert response.status_code == 200
    assert "voice assistant" in secrets.requests[-1]["session"]["instructions"]


def test_below_the_threshold_is_402_without_calling_openai(
    realtime_api: Api, secrets: FakeRoute
) -> None:
    user_id, me = realtime_api.create_user(balance=1999)
    calls = secrets.count
    response = httpx.get(realtime_api.url + "/api/token", params={"user_id": user_id}, headers=me)
    assert response.status_code == 402
    assert response.json() == {"error": "insufficient tokens", "balance": 1999, "required": 2000}
    assert secrets.count == calls


@pytest.mark.parametrize("status", [401, 429, 500])
def test_openai_errors_are_502_with_the_reason(
    realtime_api: Api, secrets: FakeRoute, status: int
) -> None:
    _, me = realtime_api.create_user(balance=3000)
    secrets.fail(status)
    response = httpx.get(realtime_api.url + "/api/token", headers=me)
    assert response.status_code == 502
    body = response.json()
    assert body["upstream_status"] == status
    assert f"({status})" in body["error"] and "fake failure" in body["error"]


def test_a_wrong_api_key_is_502_not_500(fake_openai: FakeOpenAI, realtime_api: Api) -> None:
    fake_openai.api_key = "sk-rotated"
    try:
        _, me = realtime_api.create_user(balance=3000)
        response = httpx.get(realtime_api.url + "/api/token", headers=me)
    finally:
        fake_openai.api_key = "sk-test-realtime"
    assert response.status_code == 502
    assert "Incorrect API key" in response.json()["error"]


def test_an_openai_timeout_is_502(realtime_api: Api, secrets: FakeRoute) -> None:
    _, me = realtime_api.create_user(balance=3000)
    secrets.hold(1)
    response = httpx.get(realtime_api.url + "/api/token", headers=me, timeout=10)
    secrets.release()
    assert response.status_code == 502
    assert response.json() == {"error": "OpenAI did not answer in time"}


def test_no_api_key_is_503(tmp_path) -> None:
    server = VoxhubServer(REDIS_URL="memory://", OPENAI_API_KEY="")
    server.start()
    try:
        api = Api(server)
        _, me = api.create_user(balance=5000)
        response = httpx.get(api.url + "/api/token", headers=me)
        assert response.status_code == 503
        assert response.json() == {"error": "OpenAI is not configured"}
    finally:
        server.stop()
