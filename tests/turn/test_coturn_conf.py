"""The shipped deploy/coturn/turnserver.conf runs on Debian's real turnserver (only addresses,
ports, the secret and file paths overridden for loopback) and enforces what it promises:
Voxhub's credentials accepted, forged ones refused, the per-user allocation quota. And compose
and Kubernetes run that very file with the secret Voxhub signs with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aioice.stun
import pytest
import yaml

from app.http.turn import turn_credential
from tests.fixtures.turn_server import TurnServer
from tests.turn.helpers import allocate, open_allocation

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "coturn" / "turnserver.conf"


def load_all(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def conf_values(name: str) -> list[str]:
    lines = [line.strip() for line in CONF.read_text().splitlines()]
    return [line.partition("=")[2] for line in lines if line.partition("=")[0] == name]


@pytest.fixture(scope="module")
def shipped() -> Iterator[TurnServer]:
    server = TurnServer(config=CONF)
    server.start()
    yield server
    server.close()


def test_the_conf_uses_the_rest_api_scheme_without_the_secret() -> None:
    text = CONF.read_text()
    assert "\nuse-auth-secret\n" in text
    assert not conf_values("static-auth-secret")  # from the secret store, never the file
    assert "127.0.0.0-127.255.255.255" in conf_values("denied-peer-ip")
    assert "10.0.0.0-10.255.255.255" in conf_values("denied-peer-ip")
    assert conf_values("user-quota") and conf_values("total-quota")
    assert "\nprometheus\n" in text


async def test_the_shipped_conf_accepts_voxhub_credentials_only(shipped: TurnServer) -> None:
    credential = turn_credential(shipped.secret, "conf-user", 60)
    await allocate(shipped, credential.username, credential.password)
    forged = turn_credential("another-secret", "conf-user", 60)
    with pytest.raises(aioice.stun.TransactionFailed, match="401"):
        await allocate(shipped, forged.username, forged.password)
    assert "realm <voxhub>" in shipped.log_text()


async def test_the_shipped_conf_caps_allocations_per_user(shipped: TurnServer) -> None:
    (quota,) = conf_values("user-quota")
    credential = turn_credential(shipped.secret, "greedy", 60)
    transports = []
    try:
        for _ in range(int(quota)):
            transports.append(
                await open_allocation(shipped, credential.username, credential.password)
            )
        with pytest.raises(aioice.stun.TransactionFailed, match="486"):
            await allocate(shipped, credential.username, credential.password)
    finally:
        for transport in transports:
            transport.close()


# --- the deployments run this file, with the secret Voxhub signs with ----------------------


def test_the_kubernetes_config_map_carries_the_conf_verbatim() -> None:
    docs = load_all(ROOT / "k8s" / "45-coturn.yaml")
    (config_map,) = [doc for doc in docs if doc["kind"] == "ConfigMap"]
    assert config_map["data"]["turnserver.conf"] == CONF.read_text()


def test_kubernetes_coturn_takes_the_secret_voxhub_signs_with() -> None:
    docs = load_all(ROOT / "k8s" / "45-coturn.yaml")
    (deployment,) = [doc for doc in docs if doc["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["hostNetwork"] is True  # a UDP port per relay: the node's own
    assert "--static-auth-secret=$(TURN_SECRET)" in container["args"]
    (secret_env,) = [env for env in container["env"] if env["name"] == "TURN_SECRET"]
    assert secret_env["valueFrom"]["secretKeyRef"] == {
        "name": "voxhub-secrets",
        "key": "TURN_SECRET",
    }
    (template,) = load_all(ROOT / "k8s" / "templates" / "voxhub-secrets.yaml")
    assert "TURN_SECRET" in template["stringData"]


def test_compose_coturn_publishes_the_conf_relay_range_with_voxhub_secret() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    coturn = services["coturn"]
    assert "./deploy/coturn/turnserver.conf:/etc/coturn/turnserver.conf:ro" in coturn["volumes"]
    assert "--static-auth-secret=${TURN_SECRET:-}" in coturn["command"]
    (low,), (high,) = conf_values("min-port"), conf_values("max-port")
    assert f"{low}-{high}:{low}-{high}/udp" in coturn["ports"]
    assert {"3478:3478/udp", "3478:3478/tcp"} <= set(coturn["ports"])
    api_env = services["api"]["environment"]
    assert api_env["TURN_SECRET"] == "${TURN_SECRET:-}"
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert jobs["coturn"]["dns_sd_configs"][0]["names"] == ["coturn"]
