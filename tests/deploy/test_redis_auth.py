"""Redis requires a password and only Voxhub's pods reach it (issue 18, item 11).

A real `voxhub serve` works against a redis-server that requires a password, given as
REDIS_PASSWORD (the URL can stay in a ConfigMap); the shipped redis.conf keeps protected mode on
and takes the password only from the command line; compose and Kubernetes pass it from their
secrets; NetworkPolicies admit only Voxhub's components to Redis and PostgreSQL.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.deploy.test_deploy_manifests import ROOT, _resource, compose, k8s_documents
from tests.fixtures.ports import free_port, port_open, wait_until
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.voxhub_server import VoxhubServer
from tests.ws.client import WsClient, close_all

PASSWORD = "a2c4e6g8i0k2m4o6q8s0u2w4y6A8C0E2"


@pytest.fixture(scope="module")
def locked_redis() -> Iterator[RedisServer]:
    server = RedisServer(password=PASSWORD)
    server.start()
    yield server
    server.close()


def test_the_test_server_really_requires_the_password(locked_redis: RedisServer) -> None:
    anonymous = redis.Redis(port=locked_redis.port)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    anonymous.close()


async def test_voxhub_authenticates_with_redis_password(locked_redis: RedisServer) -> None:
    server = VoxhubServer(workers=2, REDIS_URL=locked_redis.url, REDIS_PASSWORD=PASSWORD)
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            health = (await http.get("/health")).json()
        assert health["checks"]["redis"] == "ok", health
        # Matching runs a Lua script and publishes match_found over pub/sub.
        first = await WsClient.connect(server.ws_url)
        second = await WsClient.connect(server.ws_url)
        await first.send({"type": "find_match"})
        await first.expect("waiting")
        await second.send({"type": "find_match"})
        assert (await second.expect("match_found", 10))["payload"]["partner_id"] == first.user_id
        await close_all([first, second])
    finally:
        server.stop()


def test_the_shipped_redis_conf_refuses_clients_without_the_password(tmp_path: Path) -> None:
    text = (ROOT / "redis" / "redis.conf").read_text()
    assert "protected-mode yes" in text.splitlines()
    assert "requirepass" not in "".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")
    ), "the password must not live in a public file"
    port = free_port()
    process = subprocess.Popen(
        [RedisServer().binary, str(ROOT / "redis" / "redis.conf"), "--port", str(port),
         "--bind", "127.0.0.1", "--dir", str(tmp_path), "--requirepass", PASSWORD],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: port_open(port), 10, "redis-server with redis/redis.conf")
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port).ping()
        assert redis.Redis(port=port, password=PASSWORD).ping()
    finally:
        process.terminate()
        process.wait(10)


def test_compose_passes_the_redis_password_from_the_environment() -> None:
    services = compose()["services"]
    command = services["redis"]["command"]
    password = command[command.index("--requirepass") + 1]
    assert password.startswith("${REDIS_PASSWORD:?")
    assert compose()["x-voxhub-env"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")


def test_kubernetes_takes_the_redis_password_from_the_secret() -> None:
    (container,) = _resource("StatefulSet", "redis")["spec"]["template"]["spec"]["containers"]
    assert container["command"][-2:] == ["--requirepass", "$(REDIS_PASSWORD)"]
    env = {item["name"]: item["valueFrom"]["secretKeyRef"] for item in container["env"]}
    assert env["REDIS_PASSWORD"] == {"name": "voxhub-secrets", "key": "REDIS_PASSWORD"}
    assert env["REDISCLI_AUTH"] == env["REDIS_PASSWORD"]
    assert "REDIS_PASSWORD" in _resource("Secret", "voxhub-secrets")["stringData"]


def _policies() -> dict[str, dict]:
    return {
        doc["metadata"]["name"]: doc["spec"]
        for _, doc in k8s_documents()
        if doc["kind"] == "NetworkPolicy"
    }


def test_network_policies_deny_by_default_and_admit_voxhub_to_redis() -> None:
    policies = _policies()
    deny = policies["default-deny-ingress"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny
    redis_policy = policies["redis-from-voxhub"]
    assert redis_policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "redis"}
    (rule,) = redis_policy["ingress"]
    (selector,) = [peer["podSelector"] for peer in rule["from"] if "podSelector" in peer]
    (expression,) = selector["matchExpressions"]
    assert set(expression["values"]) == {"api", "ai-worker"}
    assert rule["ports"] == [{"port": 6379, "protocol": "TCP"}]
    # Every component a policy names is one a workload's pods carry.
    labels = {
        doc["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component")
        for _, doc in k8s_documents()
        if doc["kind"] in {"Deployment", "Job", "StatefulSet"}
    }
    named = {
        value
        for spec in policies.values()
        for rule in spec.get("ingress", [])
        for peer in rule["from"]
        for expression in peer.get("podSelector", {}).get("matchExpressions", [])
        for value in expression["values"]
    }
    assert named <= labels, named - labels
