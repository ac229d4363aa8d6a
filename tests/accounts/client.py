"""Talking to a real Voxhub as the seed 000 clients do: bearer tokens, users, balances."""

from __future__ import annotations

import itertools
import json
import os
import re
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from app.auth.telegram import sign
from app.auth.tokens import issue_token
from tests.fixtures.voxhub_server import TEST_BOT_TOKEN, TEST_JWT_SECRET, VoxhubServer

_telegram_ids = itertools.count(int.from_bytes(os.urandom(3), "big") * 1000)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(sub: str | int, role: str = "user") -> dict[str, str]:
    """A bearer header signed like `voxhub token` does, without a subprocess per user."""
    return bearer(issue_token(TEST_JWT_SECRET, str(sub), role, 3600))


def init_data(user: dict[str, Any], auth_date: int | None = None, bot_token: str = "") -> str:
    """initData for `user`, signed exactly as Telegram signs it (with the test bot's token)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(auth_date if auth_date is not None else int(time.time())),
    }
    fields["hash"] = sign(fields, bot_token or TEST_BOT_TOKEN)
    return urlencode(fields)


def tma(user: dict[str, Any]) -> dict[str, str]:
    """The header the real mini-app sends: its raw initData under the `tma` scheme."""
    return {"Authorization": f"tma {init_data(user)}"}


def usage(total: int, audio_in: int | None = None) -> dict[str, Any]:
    """A Realtime `response.done` usage object charging `total` tokens, all of them input."""
    audio = total if audio_in is None else audio_in
    return {
        "total_tokens": total,
        "input_tokens": total,
        "output_tokens": 0,
        "input_token_details": {"text_tokens": total - audio, "audio_tokens": audio},
    }


def unique_name(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def telegram_user(first_name: str = "Anna") -> dict[str, Any]:
    """A Telegram user as initData carries it, with an id no other test uses."""
    return {"id": next(_telegram_ids), "first_name": first_name, "language_code": "ru"}


class Api:
    """One server, a service token for setup, and user tokens minted on demand."""

    def __init__(self, server: VoxhubServer) -> None:
        self.server = server
        self.url = server.url
        self.service = token_for("billing-service", "service")
        self.admin = token_for("ops", "admin")

    def create_user(self, balance: int | None = None) -> tuple[int, dict[str, str]]:
        """A fresh Telegram user (as the bot backend creates it) and a token of its own."""
        response = httpx.post(
            self.url + "/api/users",
            json={
                "telegram_id": str(next(_telegram_ids)),
                "first_name": "Test",
                "username": unique_name(),
            },
            headers=self.service,
        )
        assert response.status_code == 200, response.text
        user = response.json()["data"]["user"]
        if balance is not None and balance != user["token_balance"]:
            self.set_balance(user["id"], user["token_balance"], balance)
        return user["id"], token_for(user["id"])

    def set_balance(self, user_id: int, current: int, wanted: int) -> None:
        """Top up (PUT) or spend (PATCH, a usage of the difference) to reach `wanted`."""
        if wanted > current:
            response = httpx.put(
                self.url + "/api/tokens",
                json={"user_id": user_id, "tokens_to_add": wanted - current},
                headers=self.service,
            )
        else:
            response = httpx.patch(
                self.url + "/api/tokens",
                json={"user_id": user_id, "usage": usage(current - wanted)},
                headers=self.service,
            )
        assert response.json()["data"]["new_balance"] == wanted, response.text

    def balance(self, user_id: int) -> int:
        response = httpx.get(
            self.url + "/api/tokens", params={"user_id": user_id}, headers=self.service
        )
        return response.json()["data"]["token_balance"]

    def create_plan(self, **fields: Any) -> dict[str, Any]:
        """A new plan, created by an admin as the admin page does (a unique name, active)."""
        body = {"name": unique_name("plan-"), "price": 1.5, "token_amount": 500, **fields}
        response = httpx.post(self.url + "/api/admin/plans", json=body, headers=self.admin)
        assert response.status_code == 200, response.text
        return response.json()["data"]["plan"]

    def ledger(self, user_id: int) -> list[dict[str, Any]]:
        response = httpx.get(
            self.url + "/api/tokens/history",
            params={"user_id": user_id, "limit": 500},
            headers=self.service,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def metric(self, name: str, labels: str = "") -> float:
        text = httpx.get(self.url + "/metrics").text
        match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    def tma_user(self) -> tuple[int, dict[str, str]]:
        """A mini-app user: its `tma` header, and the account its first request created."""
        headers = tma(telegram_user())
        response = httpx.get(self.url + "/api/auth/me", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["user"]["id"], headers

    def subscribe(self, user_id: int, plan_name: str) -> None:
        """Subscribe `user_id` to the seeded plan `plan_name`, as the billing service does."""
        plans = httpx.get(self.url + "/api/plans").json()["data"]["plans"]
        plan_id = next(plan["id"] for plan in plans if plan["name"] == plan_name)
        response = httpx.post(
            self.url + "/api/user-plans",
            json={"user_id": user_id, "plan_id": plan_id},
            headers=self.service,
        )
        assert response.is_success, response.text


@pytest.fixture(params=["embedded", "cluster"])
def api(request: pytest.FixtureRequest) -> Api:
    """Each test twice: SQLite + in-process Redis, and 2 workers on PostgreSQL + Redis."""
    return Api(request.getfixturevalue(request.param))


@pytest.fixture
def pg_api(cluster: VoxhubServer) -> Api:
    return Api(cluster)
