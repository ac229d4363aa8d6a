"""Register, log in and ask "who am I"; refused tokens on the accounts routes."""

import time

import httpx
import jwt
import pytest

from tests.accounts.client import Api, bearer, unique_name
from tests.fixtures.voxhub_server import TEST_JWT_SECRET, VoxhubServer


def _register(api: Api, username: str, password: str = "correct horse") -> httpx.Response:
    return httpx.post(
        api.url + "/api/auth/register", json={"username": username, "password": password}
    )


def test_register_login_and_me(api: Api) -> None:
    username = unique_name("ada")
    registered = _register(api, username)
    assert registered.status_code == 201
    session = registered.json()
    assert session["token_type"] == "bearer" and session["access_token"]
    user = session["user"]
    assert user["username"] == username and user["balance"] == 1000
    assert "password_hash" not in user

    claims = jwt.decode(session["access_token"], TEST_JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(user["id"]) and claims["role"] == "user"
    assert claims["exp"] - claims["iat"] == 3600  # JWT_TTL: access tokens are short-lived
    assert claims["jti"] and session["refresh_token"]

    login = httpx.post(
        api.url + "/api/auth/login", json={"username": username, "password": "correct horse"}
    )
    assert login.status_code == 200
    me = httpx.get(api.url + "/api/auth/me", headers=bearer(login.json()["access_token"]))
    assert me.json()["user"]["id"] == user["id"] and me.json()["role"] == "user"
    balance = httpx.get(api.url + "/api/tokens", headers=bearer(login.json()["access_token"]))
    assert balance.json() == {"success": True, "data": {"token_balance": 1000}}


def test_duplicate_username_is_409(api: Api) -> None:
    username = unique_name("bob")
    assert _register(api, username).status_code == 201
    again = _register(api, username, "another password")
    assert again.status_code == 409 and again.json()["error"] == "username is already taken"


def test_wrong_password_and_unknown_user_get_the_same_401(api: Api) -> None:
    username = unique_name("eve")
    _register(api, username)
    wrong = httpx.post(
        api.url + "/api/auth/login", json={"username": username, "password": "wrong password"}
    )
    unknown = httpx.post(
        api.url + "/api/auth/login",
        json={"username": unique_name("nobody"), "password": "correct horse"},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "invalid username or password"}


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ab", "password": "long enough"},
        {"username": "has space", "password": "long enough"},
        {"username": "fine_name", "password": "short"},
        {"username": "fine_name", "password": 12345678},
        {"username": "fine_name"},
    ],
)
def test_bad_sign_up_bodies_are_400(api: Api, body: dict) -> None:
    response = httpx.post(api.url + "/api/auth/register", json=body)
    assert response.status_code == 400, body


@pytest.mark.parametrize(
    "body",
    [
        {"username": "fine_name", "password": 12345678},
        {"username": "fine_name"},
        {"password": "long enough"},
        {"username": "fine_name", "password": "x" * 129},
        {"username": "x" * 65, "password": "long enough"},
    ],
)
def test_log_in_bodies_of_the_wrong_type_or_size_are_400(api: Api, body: dict) -> None:
    response = httpx.post(api.url + "/api/auth/login", json=body)
    assert response.status_code == 400, body


def test_any_wrong_password_is_the_one_401(api: Api) -> None:
    """Registration's rules (length, name pattern) are not the log-in's: telling a guesser
    "too short" instead of "wrong" says something about what the password cannot be."""
    name = unique_name()
    registered = {"username": name, "password": "correct horse"}
    assert httpx.post(api.url + "/api/auth/register", json=registered).status_code == 201
    for body in (
        {"username": name, "password": "short"},
        {"username": name, "password": "x"},
        {"username": "ab", "password": "correct horse"},
        {"username": "has space", "password": "correct horse"},
    ):
        response = httpx.post(api.url + "/api/auth/login", json=body)
        assert response.status_code == 401, body
        assert response.json() == {"error": "invalid username or password"}


def test_me_for_a_service_token(api: Api) -> None:
    response = httpx.get(api.url + "/api/auth/me", headers=api.service)
    assert response.json() == {"sub": "billing-service", "role": "service", "user": None}
    assert httpx.get(api.url + "/api/auth/me").status_code == 401


def test_forged_expired_unsigned_and_malformed_tokens_are_401(api: Api) -> None:
    user_id, _ = api.create_user()
    now = int(time.time())
    claims = {"sub": str(user_id), "role": "user", "iat": now, "exp": now + 600}
    tokens = {
        "bad_signature": jwt.encode(
            claims, "an-attackers-secret-0123456789-abcdef", algorithm="HS256"
        ),
        "expired": jwt.encode(
            {**claims, "iat": now - 600, "exp": now - 60}, TEST_JWT_SECRET, algorithm="HS256"
        ),
        "bad_algorithm": jwt.encode(claims, None, algorithm="none"),
        "malformed": "not-a-jwt",
    }
    before = {
        reason: api.metric("voxhub_auth_failures_total", f'{{reason="{reason}"}}')
        for reason in tokens
    }
    for reason, token in tokens.items():
        for method, path in (
            ("GET", "/api/tokens"),
            ("PATCH", "/api/tokens"),
            ("GET", "/api/plans"),
        ):
            response = httpx.request(
                method,
                api.url + path,
                json={"user_id": user_id, "amount": 1},
                headers=bearer(token),
            )
            assert response.status_code == 401, (reason, path)
            assert response.json()["error"]
        after = api.metric("voxhub_auth_failures_total", f'{{reason="{reason}"}}')
        assert after == before[reason] + 3, reason
    assert api.balance(user_id) == 1000


def test_password_guessing_is_throttled_per_account() -> None:
    server = VoxhubServer(REDIS_URL="memory://", LOGIN_ATTEMPTS_PER_MINUTE="3")
    server.start()
    try:
        credentials = {"username": "guarded", "password": "correct horse"}
        assert httpx.post(server.url + "/api/auth/register", json=credentials).status_code == 201
        wrong = {**credentials, "password": "a wrong guess"}
        answers = [httpx.post(server.url + "/api/auth/login", json=wrong) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [401, 401, 401]
        throttled = httpx.post(server.url + "/api/auth/login", json=credentials)
        assert throttled.status_code == 429 and throttled.headers["retry-after"] == "60"
        assert throttled.json()["error"] == "too many log-in attempts"
        other = {"username": "someone-else", "password": "correct horse"}
        assert httpx.post(server.url + "/api/auth/register", json=other).status_code == 201
        assert httpx.post(server.url + "/api/auth/login", json=other).status_code == 200
    finally:
        server.stop()


def test_sign_ups_are_throttled_per_address_across_workers(redis_server, postgres_server) -> None:
    server = VoxhubServer(
        workers=2,
        REDIS_URL=redis_server.url,
        DATABASE_URL=postgres_server.create_database(),
        REGISTRATIONS_PER_MINUTE="4",
    )
    server.start()
    try:
        answers = [
            httpx.post(
                server.url + "/api/auth/register",
                json={"username": unique_name(), "password": "correct horse"},
            )
            for _ in range(6)
        ]
        assert [answer.status_code for answer in answers] == [201] * 4 + [429] * 2
        assert answers[-1].headers["retry-after"] == "60"
        assert answers[-1].json() == {"error": "too many sign-ups"}
        # Log-ins have their own budget: the throttled address still signs in.
        login = {"username": answers[0].json()["user"]["username"], "password": "correct horse"}
        assert httpx.post(server.url + "/api/auth/login", json=login).status_code == 200
    finally:
        server.stop()
