"""The mini-app's VoiceSelector and profile page: `/api/user-voice`, `/api/user-activity`,
`/api/voice-sessions` and their stats, as a `tma` user."""

import json

import httpx
import pytest

from tests.accounts.client import Api

VOICES = ["alloy", "ash", "ballad", "cedar", "coral", "echo", "marin", "sage", "shimmer", "verse"]
FORBIDDEN = {"success": False, "error": "you may only act on your own account"}


def _get(api: Api, path: str, headers: dict[str, str], **params: object) -> dict:
    response = httpx.get(api.url + path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    return response.json()["data"]


def _post(api: Api, path: str, headers: dict[str, str], **body: object) -> httpx.Response:
    return httpx.post(api.url + path, json=body, headers=headers)


def _assert_invalid(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False
    assert response.json()["error"].startswith("Invalid request: ")


# -- voice ---------------------------------------------------------------------------------------


def test_the_voice_is_ash_until_chosen_and_any_of_the_ten_may_be(api: Api) -> None:
    user_id, me = api.tma_user()
    assert _get(api, "/api/user-voice", me, user_id=user_id) == {"voice": "ash"}
    for voice in VOICES:
        response = _post(api, "/api/user-voice", me, user_id=user_id, voice=voice)
        assert response.json() == {
            "success": True,
            "data": {"voice": voice},
            "message": "Voice successfully updated",
        }
        assert _get(api, "/api/user-voice", me) == {"voice": voice}


def test_bad_voices_are_400_and_leave_the_choice(api: Api) -> None:
    _, me = api.tma_user()
    assert _post(api, "/api/user-voice", me, voice="coral").status_code == 200
    for body in ({"voice": "nova"}, {"voice": "ASH"}, {"voice": ""}, {"voice": 1}, {}):
        _assert_invalid(httpx.post(api.url + "/api/user-voice", json=body, headers=me))
    assert _get(api, "/api/user-voice", me) == {"voice": "coral"}


def test_a_voice_is_the_users_own(api: Api) -> None:
    owner_id, owner = api.tma_user()
    _, intruder = api.tma_user()
    read = httpx.get(api.url + "/api/user-voice", params={"user_id": owner_id}, headers=intruder)
    write = _post(api, "/api/user-voice", intruder, user_id=owner_id, voice="verse")
    assert read.status_code == write.status_code == 403
    assert read.json() == write.json() == FORBIDDEN
    assert _get(api, "/api/user-voice", owner) == {"voice": "ash"}


# -- activity ------------------------------------------------------------------------------------


def test_activity_is_logged_and_listed_newest_first(api: Api) -> None:
    user_id, me = api.tma_user()
    ids = []
    for index, name in enumerate(("action", "activity_type", "action")):
        response = _post(
            api,
            "/api/user-activity",
            me,
            user_id=user_id,
            metadata={"step": index, "nested": {"ok": True}},
            ip_address="203.0.113.7",
            user_agent="TelegramWebApp/1.0",
            **{name: f"opened_{index}"},
        )
        assert response.status_code == 200, response.text
        ids.append(response.json()["data"]["activity_id"])
    activities = _get(api, "/api/user-activity", me, user_id=user_id)["activities"]
    assert [activity["id"] for activity in activities] == ids[::-1]
    assert activities[0] == {
        "id": ids[2],
        "user_id": user_id,
        "action": "opened_2",
        "metadata": {"step": 2, "nested": {"ok": True}},
        "ip_address": "203.0.113.7",
        "user_agent": "TelegramWebApp/1.0",
        "created_at": activities[0]["created_at"],
    }
    assert activities[1]["action"] == "opened_1"  # sent as activity_type
    assert _get(api, "/api/user-activity", me, limit=1)["activities"][0]["id"] == ids[2]
    bare = _post(api, "/api/user-activity", me, action="login")
    assert bare.status_code == 200
    latest = _get(api, "/api/user-activity", me, limit=1)["activities"][0]
    assert latest["metadata"] is None and latest["ip_address"] is None


def test_activity_limits_default_to_50(api: Api) -> None:
    _, me = api.tma_user()
    for index in range(52):
        assert _post(api, "/api/user-activity", me, action=f"a{index}").status_code == 200
    assert len(_get(api, "/api/user-activity", me)["activities"]) == 50
    assert len(_get(api, "/api/user-activity", me, limit=1000)["activities"]) == 52


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"action": ""},
        {"action": "  "},
        {"action": "x" * 65},
        {"action": 5},
        {"action": "a", "metadata": "text"},
        {"action": "a", "metadata": [1, 2]},
        {"action": "a", "ip_address": "x" * 65},
        {"action": "a", "user_agent": "x" * 513},
    ],
)
def test_bad_activity_is_400(api: Api, body: dict) -> None:
    _, me = api.tma_user()
    _assert_invalid(httpx.post(api.url + "/api/user-activity", json=body, headers=me))


def test_activity_metadata_is_bounded(api: Api) -> None:
    _, me = api.tma_user()
    fits = {"blob": "x" * (4096 - len(json.dumps({"blob": ""}, separators=(",", ":"))))}
    assert _post(api, "/api/user-activity", me, action="a", metadata=fits).status_code == 200
    too_big = {"blob": fits["blob"] + "x"}
    refused = _post(api, "/api/user-activity", me, action="a", metadata=too_big)
    assert refused.status_code == 400
    assert refused.json() == {
        "success": False,
        "error": "metadata must be at most 4096 bytes of JSON",
    }


def test_activity_is_the_users_own(api: Api) -> None:
    owner_id, owner = api.tma_user()
    _, intruder = api.tma_user()
    assert _post(api, "/api/user-activity", owner, action="private").status_code == 200
    read = httpx.get(api.url + "/api/user-activity", params={"user_id": owner_id}, headers=intruder)
    write = _post(api, "/api/user-activity", intruder, user_id=owner_id, action="planted")
    assert read.json() == write.json() == FORBIDDEN
    assert [a["action"] for a in _get(api, "/api/user-activity", owner)["activities"]] == [
        "private"
    ]
    assert _get(api, "/api/user-activity", intruder)["activities"] == []


# -- voice sessions ------------------------------------------------------------------------------


def test_sessions_and_their_stats_as_the_profile_page_reads_them(api: Api) -> None:
    user_id, me = api.tma_user()
    assert _get(api, "/api/voice-sessions/stats", me, user_id=user_id) == {
        "total_sessions": 0,
        "total_words": 0,
        "total_responses": 0,
        "avg_quality": None,
    }
    assert _get(api, "/api/voice-sessions", me) == {"sessions": []}
    reports = [
        {"words_spoken": 120, "ai_responses": 4, "session_quality": 4.5},
        {"words_spoken": 30, "ai_responses": 1},
        {
            "words_spoken": 50,
            "ai_responses": 3,
            "session_quality": 3,
            "context_summary": "Talked about travel plans",
            "last_conversation_topic": "Lisbon",
        },
    ]
    ids = []
    for report in reports:
        response = _post(api, "/api/voice-sessions", me, user_id=user_id, **report)
        assert response.status_code == 200, response.text
        ids.append(response.json()["data"]["session_id"])
    sessions = _get(api, "/api/voice-sessions", me, user_id=user_id)["sessions"]
    assert [session["id"] for session in sessions] == ids[::-1]
    assert sessions[0] == {
        "id": ids[2],
        "user_id": user_id,
        "words_spoken": 50,
        "ai_responses": 3,
        "session_quality": 3.0,
        "context_summary": "Talked about travel plans",
        "last_conversation_topic": "Lisbon",
        "created_at": sessions[0]["created_at"],
    }
    assert sessions[1]["session_quality"] is None and sessions[1]["context_summary"] is None
    assert len(_get(api, "/api/voice-sessions", me, limit=2)["sessions"]) == 2
    assert _get(api, "/api/voice-sessions/stats", me) == {
        "total_sessions": 3,
        "total_words": 200,
        "total_responses": 8,
        "avg_quality": 3.75,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"words_spoken": -1},
        {"words_spoken": "10"},
        {"words_spoken": 1.5},
        {"words_spoken": 10**10},
        {"ai_responses": -3},
        {"session_quality": -0.1},
        {"session_quality": 101},
        {"session_quality": "good"},
        {"context_summary": "x" * 4001},
        {"last_conversation_topic": "x" * 256},
    ],
)
def test_bad_session_reports_are_400(api: Api, body: dict) -> None:
    _, me = api.tma_user()
    _assert_invalid(httpx.post(api.url + "/api/voice-sessions", json=body, headers=me))


def test_sessions_are_the_users_own(api: Api) -> None:
    owner_id, owner = api.tma_user()
    _, intruder = api.tma_user()
    assert _post(api, "/api/voice-sessions", owner, words_spoken=7).status_code == 200
    for response in (
        httpx.get(api.url + "/api/voice-sessions", params={"user_id": owner_id}, headers=intruder),
        httpx.get(
            api.url + "/api/voice-sessions/stats", params={"user_id": owner_id}, headers=intruder
        ),
        _post(api, "/api/voice-sessions", intruder, user_id=owner_id, words_spoken=1),
    ):
        assert response.status_code == 403 and response.json() == FORBIDDEN
    assert _get(api, "/api/voice-sessions/stats", owner)["total_words"] == 7
    assert _get(api, "/api/voice-sessions/stats", intruder)["total_sessions"] == 0
