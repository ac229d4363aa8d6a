"""GET /api/token against a local OpenAI-compatible server, through the real `openai` SDK, on
both servers; and the mini-app's PromptSelector session from the catalogue to the history."""

from collections.abc import Iterator

import httpx
import pytest

from app.accounts.realtime import DEFAULT_INSTRUCTIONS, FEMININE_NOTE, HISTORY_HEADER
from tests.accounts.client import Api
from tests.fixtures.fake_openai import FakeOpenAI, FakeRoute
from tests.fixtures.voxhub_server import VoxhubServer

SECRETS = "/v1/realtime/client_secrets"
API_KEY = "sk-test-realtime"


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture(scope="module", params=["embedded", "cluster"])
def realtime_api(request: pytest.FixtureRequest, fake_openai: FakeOpenAI) -> Iterator[Api]:
    """An OpenAI-configured server of each kind: SQLite in one process, or two workers on
    PostgreSQL and Redis."""
    env = {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": fake_openai.url + "/v1",
        "OPENAI_TIMEOUT": "1s",
        "MIN_TOKEN_THRESHOLD": "2000",
    }
    if request.param == "embedded":
        server = VoxhubServer(REDIS_URL="memory://", **env)
    else:
        server = VoxhubServer(
            workers=2,
            REDIS_URL=request.getfixturevalue("redis_server").url,
            DATABASE_URL=request.getfixturevalue("postgres_server").create_database(),
            **env,
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


def _talker(api: Api, plan_name: str | None = None) -> tuple[int, dict[str, str]]:
    """A mini-app user with enough tokens to talk."""
    user_id, headers = api.tma_user()
    api.set_balance(user_id, api.balance(user_id), 5000)
    if plan_name is not None:
        api.subscribe(user_id, plan_name)
    return user_id, headers


def _token(api: Api, headers: dict[str, str], **params: object) -> httpx.Response:
    return httpx.get(api.url + "/api/token", params=params, headers=headers, timeout=10)


def _instructions(api: Api, secrets: FakeRoute, headers: dict[str, str]) -> str:
    response = _token(api, headers)
    assert response.status_code == 200, response.text
    instructions: str = secrets.requests[-1]["session"]["instructions"]
    return instructions


def _say(api: Api, headers: dict[str, str], user_id: int, kind: str, text: str) -> None:
    response = httpx.post(
        api.url + "/api/conversation",
        json={"user_id": user_id, "message_type": kind, "content": text, "session_id": 1},
        headers=headers,
    )
    assert response.status_code == 200, response.text


def test_the_prompt_selector_session(realtime_api: Api, secrets: FakeRoute) -> None:
    """GET /api/prompts → POST /api/user-prompt → GET /api/token → POST /api/conversation
    (user, assistant) → GET /api/conversation, reading what the client reads."""
    api = realtime_api
    user_id, me = _talker(api)
    minted_before = api.metric("voxhub_realtime_tokens_minted_total")
    catalogue = httpx.get(api.url + "/api/prompts", params={"user_id": user_id}, headers=me)
    prompt = catalogue.json()["data"]["basePrompts"][-1]
    selected = httpx.post(
        api.url + "/api/user-prompt",
        json={"user_id": user_id, "prompt_id": prompt["id"]},
        headers=me,
    )
    assert selected.json()["message"] == "Prompt successfully selected"

    response = _token(api, me, user_id=user_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["client_secret"] == {"value": data["value"], "expires_at": data["expires_at"]}
    assert data["client_secret"]["value"].startswith("ek_fake_")
    assert data["session"]["model"] == "gpt-realtime"
    sent = secrets.requests[-1]
    assert sent["expires_after"] == {"anchor": "created_at", "seconds": 600}
    assert sent["session"] == {
        "type": "realtime",
        "model": "gpt-realtime",
        "instructions": prompt["content"],
        "audio": {"output": {"voice": "ash"}},
    }
    assert API_KEY not in response.text
    assert api.metric("voxhub_realtime_tokens_minted_total") == minted_before + 1
    assert api.balance(user_id) == 5000  # minting itself is free

    _say(api, me, user_id, "user", "Привет!")
    _say(api, me, user_id, "assistant", "Здравствуйте! Чем помочь?")
    history = httpx.get(api.url + "/api/conversation", params={"user_id": user_id}, headers=me)
    messages = history.json()["data"]["messages"]
    assert [(m["message_type"], m["content"]) for m in messages] == [
        ("user", "Привет!"),
        ("assistant", "Здравствуйте! Чем помочь?"),
    ]
    # The next session continues the conversation.
    assert _instructions(api, secrets, me) == "\n\n".join(
        [
            prompt["content"],
            "\n".join(
                [
                    HISTORY_HEADER,
                    "Пользователь: Привет!",
                    "Ассистент: Здравствуйте! Чем помочь?",
                ]
            ),
        ]
    )


def test_only_the_last_six_messages_in_order(realtime_api: Api, secrets: FakeRoute) -> None:
    user_id, me = _talker(realtime_api)
    for index in range(8):
        _say(realtime_api, me, user_id, ("user", "assistant")[index % 2], f"m{index}")
    instructions = _instructions(realtime_api, secrets, me)
    prompt, history = instructions.split("\n\n")
    assert prompt == DEFAULT_INSTRUCTIONS  # nothing selected yet
    assert history.splitlines() == [
        HISTORY_HEADER,
        *(f"{('Пользователь', 'Ассистент')[i % 2]}: m{i}" for i in range(2, 8)),
    ]


@pytest.mark.parametrize("voice", ["marin", "coral", "shimmer"])
def test_feminine_voices_get_the_note(realtime_api: Api, secrets: FakeRoute, voice: str) -> None:
    _, me = _talker(realtime_api)
    httpx.post(realtime_api.url + "/api/user-voice", json={"voice": voice}, headers=me)
    assert _instructions(realtime_api, secrets, me) == DEFAULT_INSTRUCTIONS + "\n\n" + FEMININE_NOTE
    assert secrets.requests[-1]["session"]["audio"] == {"output": {"voice": voice}}


def test_a_female_prompt_gets_the_note_and_others_do_not(
    realtime_api: Api, secrets: FakeRoute
) -> None:
    api = realtime_api
    _, me = _talker(api, "Премиум")
    httpx.post(api.url + "/api/user-voice", json={"voice": "echo"}, headers=me)
    for gender, noted in (("female", True), ("male", False), (None, False)):
        created = httpx.post(
            api.url + "/api/prompts",
            json={
                "title": "Mine",
                "content": "Be brief.",
                "voice_gender": gender,
                "selected": True,
            },
            headers=me,
        )
        assert created.status_code == 200, created.text
        expected = "Be brief." + ("\n\n" + FEMININE_NOTE if noted else "")
        assert _instructions(api, secrets, me) == expected, gender
        prompt_id = created.json()["data"]["prompt"]["id"]
        httpx.delete(api.url + "/api/user-prompt", params={"prompt_id": prompt_id}, headers=me)


def test_a_deleted_selection_uses_the_default_assistant(
    realtime_api: Api, secrets: FakeRoute
) -> None:
    api = realtime_api
    _, me = _talker(api, "Премиум")
    created = httpx.post(
        api.url + "/api/prompts",
        json={"title": "Gone", "content": "Soon deleted.", "selected": True},
        headers=me,
    )
    prompt_id = created.json()["data"]["prompt"]["id"]
    assert _instructions(api, secrets, me) == "Soon deleted."
    httpx.delete(api.url + "/api/user-prompt", params={"prompt_id": prompt_id}, headers=me)
    base = httpx.get(api.url + "/api/prompts", headers=me).json()["data"]["basePrompts"]
    default = min((p for p in base if p["plan_required"] == 1), key=lambda p: p["id"])
    assert _instructions(api, secrets, me) == default["content"]


def test_below_the_threshold_is_402_without_calling_openai(
    realtime_api: Api, secrets: FakeRoute
) -> None:
    user_id, me = realtime_api.tma_user()
    realtime_api.set_balance(user_id, realtime_api.balance(user_id), 1999)
    calls = secrets.count
    response = _token(realtime_api, me, user_id=user_id)
    assert response.status_code == 402
    assert response.json() == {
        "success": False,
        "error": "Insufficient tokens",
        "balance": 1999,
        "required": 2000,
    }
    assert secrets.count == calls


def test_another_users_token_is_403(realtime_api: Api, secrets: FakeRoute) -> None:
    owner_id, _ = _talker(realtime_api)
    _, intruder = _talker(realtime_api)
    calls = secrets.count
    response = _token(realtime_api, intruder, user_id=owner_id)
    assert response.status_code == 403
    assert response.json() == {"success": False, "error": "you may only act on your own account"}
    assert secrets.count == calls


@pytest.mark.parametrize("status", [401, 429, 500])
def test_openai_errors_are_502_with_the_reason(
    realtime_api: Api, secrets: FakeRoute, status: int
) -> None:
    _, me = _talker(realtime_api)
    secrets.fail(status)
    response = _token(realtime_api, me)
    assert response.status_code == 502
    body = response.json()
    assert body["success"] is False and body["upstream_status"] == status
    assert f"({status})" in body["error"] and "fake failure" in body["error"]


def test_a_wrong_api_key_is_502_not_500(fake_openai: FakeOpenAI, realtime_api: Api) -> None:
    _, me = _talker(realtime_api)
    fake_openai.api_key = "sk-rotated"
    try:
        response = _token(realtime_api, me)
    finally:
        fake_openai.api_key = API_KEY
    assert response.status_code == 502
    assert response.json()["success"] is False
    assert "Incorrect API key" in response.json()["error"]


def test_an_openai_timeout_is_502(realtime_api: Api, secrets: FakeRoute) -> None:
    _, me = _talker(realtime_api)
    secrets.hold(1)
    response = _token(realtime_api, me)
    secrets.release()
    assert response.status_code == 502
    assert response.json() == {"success": False, "error": "OpenAI did not answer in time"}


def test_no_api_key_is_503() -> None:
    server = VoxhubServer(REDIS_URL="memory://", OPENAI_API_KEY="")
    server.start()
    try:
        api = Api(server)
        user_id, me = api.tma_user()
        api.set_balance(user_id, api.balance(user_id), 5000)
        response = _token(api, me)
        assert response.status_code == 503
        assert response.json() == {"success": False, "error": "OpenAI is not configured"}
    finally:
        server.stop()
