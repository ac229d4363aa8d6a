"""The mini-app's PromptSelector: `/api/prompts` and `/api/user-prompt`, gated by plan level.

Users are mini-app users (`tma`); plans are the seeded ones (Базовый 1, Премиум 2, Про 3), bought
for them by the billing service.
"""

import asyncio

import httpx
import pytest

from tests.accounts.client import Api

CLIENT_FIELDS = {"id", "title", "description", "content", "plan_required", "category"}
NOT_ACCESSIBLE = {"success": False, "error": "Prompt not found or not accessible"}
NOT_DELETABLE = {"success": False, "error": "Prompt not found or cannot be deleted"}
LIMIT_REACHED = {"success": False, "error": "Prompt limit reached for your plan"}


def _catalogue(api: Api, headers: dict[str, str], **params: object) -> dict:
    response = httpx.get(api.url + "/api/prompts", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    return response.json()["data"]


def _create(api: Api, headers: dict[str, str], **body: object) -> httpx.Response:
    body = {"title": "Coach", "content": "Be a patient coach.", **body}
    return httpx.post(api.url + "/api/prompts", json=body, headers=headers)


def _select(api: Api, headers: dict[str, str], prompt_id: object, **body: object):
    return httpx.post(
        api.url + "/api/user-prompt", json={"prompt_id": prompt_id, **body}, headers=headers
    )


def _delete(api: Api, headers: dict[str, str], **params: object) -> httpx.Response:
    return httpx.delete(api.url + "/api/user-prompt", params=params, headers=headers)


def _user_at(api: Api, plan_name: str | None) -> tuple[int, dict[str, str]]:
    user_id, headers = api.tma_user()
    if plan_name is not None:
        api.subscribe(user_id, plan_name)
    return user_id, headers


def test_a_free_user_sees_the_level_1_base_prompts_and_may_not_create(api: Api) -> None:
    user_id, me = api.tma_user()
    data = _catalogue(api, me, user_id=user_id)
    assert data["userPlan"] == {"plan_name": "Бесплатный план", "plan_level": 1}
    base = data["basePrompts"]
    assert base and {prompt["plan_required"] for prompt in base} == {1}
    assert [(p["plan_required"], p["title"]) for p in base] == sorted(
        (p["plan_required"], p["title"]) for p in base
    )
    for prompt in base:
        assert CLIENT_FIELDS <= prompt.keys() and "voice_gender" in prompt
        assert prompt["is_base"] is True and prompt["is_active"] is True
        assert prompt["user_id"] is None and prompt["content"]
    assert data["userPrompts"] == [] and data["selectedPromptId"] is None
    assert data["promptLimits"] == {
        "current": 0,
        "max": 0,
        "can_create_more": False,
        "canCreateMore": False,
    }
    refused = _create(api, me, user_id=user_id)
    assert refused.status_code == 403 and refused.json() == LIMIT_REACHED


def test_premium_opens_level_2_and_three_own_prompts(api: Api) -> None:
    user_id, me = _user_at(api, "Премиум")
    data = _catalogue(api, me)
    assert data["userPlan"] == {"plan_name": "Премиум", "plan_level": 2}
    assert {prompt["plan_required"] for prompt in data["basePrompts"]} == {1, 2}
    created = []
    for index, selected in enumerate((False, True, False)):
        response = _create(
            api,
            me,
            user_id=user_id,
            title=f"Mine {index}",
            content=f"Instructions {index}",
            description="my own",
            category="study",
            voice_gender="female",
            selected=selected,
        )
        assert response.status_code == 200, response.text
        prompt = response.json()["data"]["prompt"]
        assert prompt["title"] == f"Mine {index}" and prompt["plan_required"] == 0
        assert prompt["is_base"] is False and prompt["user_id"] == user_id
        assert (prompt["description"], prompt["category"], prompt["voice_gender"]) == (
            "my own",
            "study",
            "female",
        )
        created.append(prompt["id"])
    refused = _create(api, me, title="One too many")
    assert refused.status_code == 403 and refused.json() == LIMIT_REACHED
    data = _catalogue(api, me)
    assert [prompt["id"] for prompt in data["userPrompts"]] == created[::-1]
    assert data["selectedPromptId"] == created[1]  # only the opt-in selected
    assert data["promptLimits"] == {
        "current": 3,
        "max": 3,
        "can_create_more": False,
        "canCreateMore": False,
    }
    # A deleted prompt frees its place.
    assert _delete(api, me, prompt_id=created[0]).status_code == 200
    assert _catalogue(api, me)["promptLimits"]["canCreateMore"] is True
    assert _create(api, me, title="Replacement").status_code == 200


def test_pro_opens_everything_without_a_limit(api: Api) -> None:
    _, me = _user_at(api, "Про")
    data = _catalogue(api, me)
    assert data["userPlan"] == {"plan_name": "Про", "plan_level": 3}
    assert {prompt["plan_required"] for prompt in data["basePrompts"]} == {1, 2, 3}
    for index in range(5):
        assert _create(api, me, title=f"P{index}").status_code == 200
    assert _catalogue(api, me)["promptLimits"] == {
        "current": 5,
        "max": -1,
        "can_create_more": True,
        "canCreateMore": True,
    }


def test_selecting_needs_an_accessible_prompt(api: Api) -> None:
    user_id, me = api.tma_user()
    _, pro = _user_at(api, "Про")
    everything = _catalogue(api, pro)["basePrompts"]
    level_1 = next(p for p in everything if p["plan_required"] == 1)
    level_3 = next(p for p in everything if p["plan_required"] == 3)
    foreign = _create(api, pro, title="Pro's own").json()["data"]["prompt"]

    selected = _select(api, me, level_1["id"], user_id=user_id)
    assert selected.status_code == 200
    assert selected.json() == {
        "success": True,
        "data": None,
        "message": "Prompt successfully selected",
    }
    assert _catalogue(api, me)["selectedPromptId"] == level_1["id"]
    for prompt_id in (level_3["id"], foreign["id"], 10**12):
        refused = _select(api, me, prompt_id)
        assert refused.status_code == 404 and refused.json() == NOT_ACCESSIBLE, prompt_id
    assert _catalogue(api, me)["selectedPromptId"] == level_1["id"]
    # The plan opens it once bought.
    api.subscribe(user_id, "Про")
    assert _select(api, me, level_3["id"]).status_code == 200


def test_deleting_the_selected_prompt_falls_back_to_the_default_assistant(api: Api) -> None:
    user_id, me = _user_at(api, "Премиум")
    base = _catalogue(api, me)["basePrompts"]
    default = min(p["id"] for p in base if p["plan_required"] == 1)
    kept = _create(api, me, title="Kept").json()["data"]["prompt"]
    chosen = _create(api, me, title="Chosen", selected=True).json()["data"]["prompt"]
    assert _catalogue(api, me)["selectedPromptId"] == chosen["id"]

    unselected = _delete(api, me, user_id=user_id, prompt_id=kept["id"])
    assert unselected.json() == {
        "success": True,
        "data": {"was_selected": False},
        "message": "Prompt successfully deleted",
    }
    assert _catalogue(api, me)["selectedPromptId"] == chosen["id"]
    deleted = _delete(api, me, prompt_id=chosen["id"])
    assert deleted.status_code == 200 and deleted.json()["data"] == {"was_selected": True}
    data = _catalogue(api, me)
    assert data["selectedPromptId"] == default and data["userPrompts"] == []
    # Deleted stays deleted: neither deletable nor selectable again.
    again = _delete(api, me, prompt_id=chosen["id"])
    assert again.status_code == 404 and again.json() == NOT_DELETABLE
    assert _select(api, me, chosen["id"]).json() == NOT_ACCESSIBLE
    base_delete = _delete(api, me, prompt_id=default)
    assert base_delete.status_code == 404 and base_delete.json() == NOT_DELETABLE


def test_another_users_prompts_cannot_be_touched(api: Api) -> None:
    owner_id, owner = _user_at(api, "Премиум")
    intruder_id, intruder = _user_at(api, "Премиум")
    prompt = _create(api, owner, title="Private", selected=True).json()["data"]["prompt"]

    assert _select(api, intruder, prompt["id"]).json() == NOT_ACCESSIBLE
    assert _delete(api, intruder, prompt_id=prompt["id"]).json() == NOT_DELETABLE
    assert _catalogue(api, intruder)["userPrompts"] == []
    forbidden = {"success": False, "error": "you may only act on your own account"}
    for response in (
        httpx.get(api.url + "/api/prompts", params={"user_id": owner_id}, headers=intruder),
        _create(api, intruder, user_id=owner_id),
        _select(api, intruder, prompt["id"], user_id=owner_id),
        _delete(api, intruder, user_id=owner_id, prompt_id=prompt["id"]),
    ):
        assert response.status_code == 403 and response.json() == forbidden
    data = _catalogue(api, owner)
    assert [p["id"] for p in data["userPrompts"]] == [prompt["id"]]
    assert data["selectedPromptId"] == prompt["id"]
    # The billing service acts for anyone it names.
    assert _catalogue(api, api.service, user_id=owner_id)["selectedPromptId"] == prompt["id"]
    assert _catalogue(api, intruder, user_id=intruder_id)["selectedPromptId"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "   "},
        {"title": None},
        {"title": "x" * 129},
        {"content": ""},
        {"content": "x" * 16_001},
        {"content": 5},
        {"description": "x" * 1001},
        {"category": "x" * 65},
        {"voice_gender": "x" * 65},
        {"selected": "yes"},
    ],
)
def test_bad_prompts_are_400(api: Api, body: dict) -> None:
    _, me = _user_at(api, "Про")
    response = _create(api, me, **body)
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["error"].startswith("Invalid request: ")


def test_bad_selection_and_deletion_input_is_400(api: Api) -> None:
    _, me = api.tma_user()
    for prompt_id in ("5", 0, -1, 1.5, None, True):
        response = _select(api, me, prompt_id)
        assert response.status_code == 400, prompt_id
        assert response.json()["error"].startswith("Invalid request: ")
    missing = _delete(api, me)
    assert missing.status_code == 400
    assert missing.json() == {"success": False, "error": "prompt_id parameter is required"}
    for prompt_id in ("abc", "0", "²", str(2**64)):
        response = _delete(api, me, prompt_id=prompt_id)
        assert response.status_code == 400, prompt_id
        assert response.json()["success"] is False


def test_concurrent_creations_cannot_pass_the_limit(api: Api) -> None:
    _, me = _user_at(api, "Премиум")

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=api.url, headers=me, timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.post("/api/prompts", json={"title": f"T{i}", "content": "c"})
                    for i in range(10)
                )
            )

    statuses = sorted(response.status_code for response in asyncio.run(burst()))
    assert statuses == [200] * 3 + [403] * 7
    assert _catalogue(api, me)["promptLimits"]["current"] == 3
