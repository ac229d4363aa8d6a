"""The deployment files are checked offline by the tools their formats come with.

Kubernetes manifests against the Kubernetes schemas (strict: an unknown field is an error),
docker-compose.yml against the Compose specification schema, the Dockerfile with hadolint,
systemd units with `systemd-analyze verify`, redis.conf by a real redis-server. Beyond syntax,
each file must stay in step with the code: every variable it sets is a Voxhub setting, every
`voxhub` subcommand it runs exists, and the limits it sets match the API's own.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import redis
import yaml

from app.cli import build_parser
from app.config import Settings
from tests.fixtures.ports import free_port, port_open, wait_until
from tests.fixtures.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
K8S_FILES = sorted((ROOT / "k8s").rglob("*.yaml"))
# The oldest Kubernetes minor still commonly run, and the newest the validator knows.
K8S_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
BIN = Path(sys.executable).parent

SETTINGS_VARIABLES = {spec.metadata["env"] for spec in Settings.__dataclass_fields__.values()}
# In the shared Secret for the PostgreSQL StatefulSet, not read by Voxhub.
FOREIGN_VARIABLES = {"POSTGRES_PASSWORD"}


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, doc) for path in K8S_FILES for doc in load_all(path)]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def voxhub_containers() -> list[dict[str, Any]]:
    """Every container of the manifests that runs the Voxhub image."""
    containers = []
    for _, doc in k8s_documents():
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        containers += [c for c in pod.get("containers", []) if c["image"].startswith("voxhub:")]
    return containers


# --- Kubernetes ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("path", K8S_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_k8s_manifest_validates_against_the_kubernetes_schema(path: Path, version: str) -> None:
    documents = load_all(path)
    assert documents, f"{path} holds no resource"
    for doc in documents:
        kubernetes_validate.validate(doc, version, strict=True)


def test_k8s_validator_rejects_an_unknown_field() -> None:
    """The check above can fail: a misspelt probe field is refused in strict mode."""
    deployment = next(doc for _, doc in k8s_documents() if doc["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


def test_k8s_deliverables_are_all_there() -> None:
    kinds = {(doc["kind"], doc["metadata"]["name"]) for _, doc in k8s_documents()}
    for expected in [
        ("Namespace", "voxhub"),
        ("ConfigMap", "voxhub-config"),
        ("Secret", "voxhub-secrets"),
        ("Deployment", "voxhub-api"),
        ("Deployment", "voxhub-media-worker"),
        ("Deployment", "voxhub-ai-worker"),
        ("Job", "voxhub-migrate"),
        ("Service", "voxhub-api"),
        ("Ingress", "voxhub"),
        ("HorizontalPodAutoscaler", "voxhub-api"),
        ("PodDisruptionBudget", "voxhub-api"),
        ("PodDisruptionBudget", "voxhub-media-worker"),
        ("PodDisruptionBudget", "voxhub-ai-worker"),
        ("StatefulSet", "redis"),
        ("StatefulSet", "postgres"),
        ("ConfigMap", "prometheus-adapter"),
    ]:
        assert expected in kinds, f"missing {expected}"


def _resource(kind: str, name: str) -> dict[str, Any]:
    return next(
        doc for _, doc in k8s_documents() if (doc["kind"], doc["metadata"]["name"]) == (kind, name)
    )


def test_api_probes_drain_and_resources() -> None:
    pod = _resource("Deployment", "voxhub-api")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert {"requests", "limits"} <= container["resources"].keys()
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    # The pod must outlive the preStop sleep plus Sanic's graceful WebSocket drain (10 s).
    assert pod["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + 10 + 5
    for other in ("voxhub-media-worker", "voxhub-ai-worker"):
        (worker,) = _resource("Deployment", other)["spec"]["template"]["spec"]["containers"]
        assert {"readinessProbe", "livenessProbe", "resources"} <= worker.keys()


def test_hpa_scales_on_cpu_and_websockets_and_scales_down_gently() -> None:
    hpa = _resource("HorizontalPodAutoscaler", "voxhub-api")["spec"]
    assert hpa["scaleTargetRef"]["name"] == "voxhub-api"
    by_type = {metric["type"]: metric for metric in hpa["metrics"]}
    assert by_type["Resource"]["resource"]["name"] == "cpu"
    pods_metric = by_type["Pods"]["pods"]["metric"]["name"]
    rule_names = {rule["name"]["as"] for rule in _adapter_rules()}
    assert pods_metric in rule_names, "the HPA's metric must be exposed by the adapter rule"
    down = hpa["behavior"]["scaleDown"]
    assert down["stabilizationWindowSeconds"] >= 300
    assert all(p["type"] == "Pods" and p["value"] == 1 for p in down["policies"])


def _adapter_rules() -> list[dict[str, Any]]:
    config_map = _resource("ConfigMap", "prometheus-adapter")
    return yaml.safe_load(config_map["data"]["config.yaml"])["rules"]


def test_ingress_keeps_websockets_open_and_limits_bodies() -> None:
    annotations = _resource("Ingress", "voxhub")["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    defaults = Settings.from_env({}, dotenv=False)
    assert int(annotations[prefix + "proxy-read-timeout"]) > defaults.heartbeat_interval
    assert int(annotations[prefix + "proxy-send-timeout"]) > defaults.heartbeat_interval
    assert annotations[prefix + "proxy-buffering"] == "off"
    assert _nginx_size(annotations[prefix + "proxy-body-size"]) == _configured_request_max()
    routed = {path["path"] for rule in _resource("Ingress", "voxhub")["spec"]["rules"]
              for path in rule["http"]["paths"]}  # fmt: skip
    assert "/api" in routed and "/metrics" not in routed and "/" not in routed
    ws = _resource("Ingress", "voxhub-ws")["metadata"]["annotations"]
    assert {k: v for k, v in ws.items() if k != prefix + "enable-access-log"} == annotations


def test_the_ingress_logs_no_ws_query_string() -> None:
    """`/ws?token=<jwt>` must not reach the controller's access log (issue 18, item 9)."""
    ws = _resource("Ingress", "voxhub-ws")
    assert ws["metadata"]["annotations"]["nginx.ingress.kubernetes.io/enable-access-log"] == (
        "false"
    )
    (rule,) = ws["spec"]["rules"]
    assert [path["path"] for path in rule["http"]["paths"]] == ["/ws"]


def test_redis_config_map_carries_redis_conf_verbatim() -> None:
    config_map = _resource("ConfigMap", "redis-config")
    assert config_map["data"]["redis.conf"] == (ROOT / "redis" / "redis.conf").read_text()


# --- docker-compose ------------------------------------------------------------------------


def _compose_schema() -> dict[str, Any]:
    """The Compose specification schema as vendored by check-jsonschema (source noted there)."""
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text())


def test_compose_file_validates_against_the_compose_specification() -> None:
    schema = _compose_schema()
    assert schema["title"] == "Compose Specification"
    jsonschema.validate(compose(), schema, cls=jsonschema.Draft202012Validator)


def test_compose_validator_rejects_an_unknown_key() -> None:
    broken = compose()
    broken["services"]["api"]["comand"] = ["serve"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _compose_schema(), cls=jsonschema.Draft202012Validator)


def test_compose_runs_the_whole_system_without_manual_steps() -> None:
    services = compose()["services"]
    assert {
        "nginx",
        "api",
        "media-worker",
        "ai-worker",
        "migrate",
        "redis",
        "postgres",
        "prometheus",
        "grafana",
    } <= services.keys()
    assert int(str(services["api"]["deploy"]["replicas"]).split(":-")[-1].rstrip("}")) >= 2
    assert services["api"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert any(port.endswith("/udp") for port in services["media-worker"]["ports"])
    assert "./redis/redis.conf" in " ".join(services["redis"]["volumes"])
    assert "./deploy/nginx.conf" in " ".join(services["nginx"]["volumes"])
    grafana = " ".join(services["grafana"]["volumes"])
    assert "./deploy/grafana/provisioning" in grafana and "./deploy/grafana/dashboards" in grafana


def test_prometheus_scrapes_every_voxhub_process_of_the_compose_file() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    scraped = {
        name
        for job in config["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
        for name in sd["names"]
    }
    voxhub_services = {
        name
        for name, service in compose()["services"].items()
        if "voxhub" in str(service.get("image", "")) and service.get("restart") != "no"
    }
    assert voxhub_services == {"api", "media-worker", "ai-worker"}
    assert voxhub_services <= scraped


def test_grafana_provisioning_points_at_the_shipped_dashboards() -> None:
    base = ROOT / "deploy" / "grafana"
    (datasource,) = yaml.safe_load((base / "provisioning/datasources/prometheus.yml").read_text())[
        "datasources"
    ]
    (provider,) = yaml.safe_load((base / "provisioning/dashboards/voxhub.yml").read_text())[
        "providers"
    ]
    mounts = dict(volume.split(":")[:2] for volume in compose()["services"]["grafana"]["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    dashboards = list((base / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        panels = json.loads(path.read_text())["panels"]
        for panel in panels:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]


# --- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_catches_a_bad_instruction(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && pip install requests\n")
    done = subprocess.run([str(BIN / "hadolint"), str(bad)], capture_output=True, timeout=60)
    assert done.returncode != 0


def test_dockerfile_is_multi_stage_non_root_with_a_liveness_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", text, re.MULTILINE)
    assert len(stages) >= 2 and all("slim" in image for image, _ in stages)
    final = text.split(f"AS {stages[-1][1]}", 1)[1]
    user = re.findall(r"^USER (\S+)$", final, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in {"root", "0"}
    assert "/health/live" in re.search(r"^HEALTHCHECK .*(?:\n .*)*", final, re.MULTILINE)[0]
    assert "pip" not in final.split("COPY --from=")[1], "the runtime stage installs nothing"
    assert re.search(r'^ENTRYPOINT \["voxhub"\]$', final, re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "**" in ignored, ".dockerignore must start from an empty context"


# --- systemd -------------------------------------------------------------------------------


def test_systemd_units_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the units, with ExecStart pointed at this checkout's voxhub."""
    units = sorted((ROOT / "deploy" / "systemd").iterdir())
    assert {unit.name for unit in units} >= {
        "voxhub-api.service",
        "voxhub-migrate.service",
        "voxhub-media-worker@.service",
        "voxhub-ai-worker@.service",
        "voxhub.target",
    }
    to_verify = []
    for unit in units:
        text = unit.read_text()
        assert "/opt/voxhub/venv/bin/voxhub" in text or unit.suffix == ".target"
        (tmp_path / unit.name).write_text(
            text.replace("/opt/voxhub/venv/bin/voxhub", str(BIN / "voxhub"))
        )
        name = unit.name.replace("@.", "@1.")
        if name != unit.name:
            (tmp_path / name).symlink_to(tmp_path / unit.name)
        to_verify.append(str(tmp_path / name))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *to_verify],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def _systemd_environment() -> dict[str, str]:
    found: dict[str, str] = {}
    for unit in (ROOT / "deploy" / "systemd").glob("*.service"):
        for name, value in re.findall(r"^Environment=(\w+)=(.*)$", unit.read_text(), re.M):
            found[name] = value
    return found


# --- redis.conf ----------------------------------------------------------------------------


def test_redis_conf_runs_on_a_real_redis_server(tmp_path: Path) -> None:
    """The shipped redis.conf starts redis-server; only address and folder are overridden."""
    server = RedisServer()
    port = free_port()
    process = subprocess.Popen(
        [
            server.binary,
            str(ROOT / "redis" / "redis.conf"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: port_open(port), 10, "redis-server with redis/redis.conf")
        client = redis.Redis(port=port, decode_responses=True)
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert client.config_get("appendonly")["appendonly"] == "yes"
        client.xadd("voxhub:check", {"job": "1"})
        assert client.xlen("voxhub:check") == 1
        client.close()
    finally:
        process.terminate()
        process.wait(10)


# --- in step with the code -----------------------------------------------------------------


def _compose_environment() -> dict[str, str]:
    found: dict[str, str] = {}
    for service in compose()["services"].values():
        if "voxhub" in str(service.get("image", "")):
            found.update({name: str(value) for name, value in service["environment"].items()})
    return found


def _k8s_environment() -> dict[str, str]:
    found = dict(_resource("ConfigMap", "voxhub-config")["data"])
    found.update(_resource("Secret", "voxhub-secrets")["stringData"])
    for container in voxhub_containers():
        found.update({item["name"]: item.get("value", "") for item in container.get("env", [])})
    return found


@pytest.mark.parametrize(
    "source",
    [_compose_environment, _k8s_environment, _systemd_environment],
    ids=["compose", "k8s", "systemd"],
)
def test_every_variable_set_is_a_voxhub_setting(source) -> None:
    unknown = set(source()) - SETTINGS_VARIABLES - FOREIGN_VARIABLES
    assert not unknown, f"not read by app/config.py: {sorted(unknown)}"


@pytest.mark.parametrize("source", [_compose_environment, _k8s_environment], ids=["compose", "k8s"])
def test_every_literal_value_parses_as_voxhub_would(source) -> None:
    """A wrong duration or port range in a manifest fails here, not at 3 a.m. in a pod."""
    literal = {
        name: value
        for name, value in source().items()
        if name in SETTINGS_VARIABLES and "${" not in value and value
    }
    fields = {spec.metadata["env"]: spec for spec in Settings.__dataclass_fields__.values()}
    for name, value in literal.items():
        fields[name].metadata["parse"](value)


@pytest.mark.parametrize("source", [_compose_environment, _k8s_environment], ids=["compose", "k8s"])
def test_the_api_trusts_its_proxy_for_client_addresses(source) -> None:
    """Without TRUSTED_PROXIES every client behind nginx or the ingress is one address."""
    found = source()
    value = found["TRUSTED_PROXIES"].split(":-")[-1].rstrip("}")
    networks = Settings.from_env({"TRUSTED_PROXIES": value}, dotenv=False).trusted_proxies
    assert networks and int(found["PROXIES_COUNT"]) == 1


def _commands_used() -> set[str]:
    commands: set[str] = set()
    for service in compose()["services"].values():
        if "voxhub" in str(service.get("image", "")):
            commands.add(service["command"][0])
    commands |= {container["args"][0] for container in voxhub_containers()}
    for unit in (ROOT / "deploy" / "systemd").glob("*.service"):
        commands |= set(re.findall(r"^ExecStart=\S+/voxhub (\S+)", unit.read_text(), re.M))
    commands.add(re.search(r'^CMD \["(\S+)"\]', (ROOT / "Dockerfile").read_text(), re.M)[1])
    return commands


def test_every_voxhub_subcommand_used_exists() -> None:
    """Grows with the code: the workers' subcommands must exist before these files can run."""
    used = _commands_used()
    assert used >= {"serve", "migrate", "media-worker", "ai-worker"}
    subparsers = next(
        action for action in build_parser()._actions if action.dest == "command"
    )  # argparse keeps subcommands only here
    missing = used - set(subparsers.choices)
    assert not missing, f"`voxhub` has no subcommand {sorted(missing)}"


def _nginx_size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit.lower()]


def _configured_request_max() -> int:
    """REQUEST_MAX_BYTES as the manifests set it, each equal to the API's default."""
    default = Settings.from_env({}, dotenv=False).request_max_bytes
    configured = _k8s_environment().get("REQUEST_MAX_BYTES", str(default))
    assert int(configured) == default
    return default


def test_nginx_limits_match_the_api() -> None:
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    defaults = Settings.from_env({}, dotenv=False)
    (body,) = re.findall(r"client_max_body_size (\S+);", text)
    assert _nginx_size(body) == _configured_request_max()
    for directive in ("proxy_read_timeout", "proxy_send_timeout"):
        (value,) = re.findall(rf"{directive} (\d+)s;", text)
        assert int(value) > defaults.heartbeat_interval
    assert "proxy_http_version 1.1;" in text
    assert re.search(r"map \$http_upgrade \$connection_upgrade", text)
    ws_location = re.search(r"location = /ws \{(.*?)\}", text, re.S)[1]
    assert "proxy_buffering off;" in ws_location
