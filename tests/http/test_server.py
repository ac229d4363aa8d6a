"""The real `voxhub serve` process: health, metrics across workers, errors, CORS, docs."""

import os
import re
from pathlib import Path

import httpx
import jwt

from tests.fixtures.voxhub_server import VoxhubServer


def test_embedded_default_serves_health(embedded: VoxhubServer) -> None:
    response = httpx.get(embedded.url + "/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    assert body["active_conversations"] == 0
    assert body["time"].endswith("Z") and body["timestamp"] == body["time"]
    assert httpx.get(embedded.url + "/api/health").status_code == 200


def test_two_workers_serve_and_metrics_sum_both(cluster: VoxhubServer) -> None:
    workers: dict[str, int] = {}
    for _ in range(200):
        # A new connection per request lets the kernel spread them over both workers.
        response = httpx.get(cluster.url + "/health/live", headers={"Connection": "close"})
        worker = response.json()["worker"]
        workers[worker] = workers.get(worker, 0) + 1
        if len(workers) == 2 and sum(workers.values()) >= 20:
            break
    assert len(workers) == 2, workers
    metrics = httpx.get(cluster.url + "/metrics").text
    match = re.search(
        r'voxhub_http_requests_total\{method="GET",route="/health/live",status="200"\} (\S+)',
        metrics,
    )
    assert match and float(match.group(1)) >= sum(workers.values())


def test_health_names_a_failing_dependency(tmp_path) -> None:
    server = VoxhubServer(
        REDIS_URL="redis://127.0.0.1:1/0", DATABASE_URL=f"sqlite:///{tmp_path}/d.db"
    )
    # Redis is unreachable, yet the process must start and say so on /health.
    server.start()
    try:
        response = httpx.get(server.url + "/health", timeout=10)
        assert response.status_code == 503
        assert response.json()["checks"]["redis"].startswith("error")
        assert "redis" in response.json()["error"]
        assert httpx.get(server.url + "/health/live").status_code == 200
    finally:
        server.stop()


def test_errors_are_json_without_tracebacks(cluster: VoxhubServer) -> None:
    missing = httpx.get(cluster.url + "/no/such/route")
    assert missing.status_code == 404 and "error" in missing.json()
    wrong_method = httpx.delete(cluster.url + "/health/live")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()
    assert "Traceback" not in missing.text + wrong_method.text


def test_bad_tokens_are_refused_with_401(cluster: VoxhubServer) -> None:
    expired = cluster.token("1", "user")
    claims = jwt.decode(expired, options={"verify_signature": False})
    forged = jwt.encode(claims, "some-other-secret-0123456789-abcdef", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (forged, unsigned, "not.a.jwt"):
        response = httpx.get(
            cluster.url + "/health/live", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, token
        assert response.json()["error"]


def test_cors_and_request_ids(cluster: VoxhubServer) -> None:
    response = httpx.get(
        cluster.url + "/health/live",
        headers={"Origin": "http://app.example", "X-Request-ID": "abc-123"},
    )
    assert response.headers["access-control-allow-origin"] in ("*", "http://app.example")
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    assert response.headers["x-request-id"] == "abc-123"
    # Without an Origin (not a browser's cross-origin call) there is nothing to allow.
    plain = httpx.get(cluster.url + "/health/live")
    assert "access-control-allow-origin" not in plain.headers
    assert plain.headers["x-request-id"]


def test_openapi_documents_routes(cluster: VoxhubServer) -> None:
    assert httpx.get(cluster.url + "/docs").status_code == 200
    spec = httpx.get(cluster.url + "/docs/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/health" in spec["paths"]


def test_json_access_logs_carry_the_request_id() -> None:
    import json

    server = VoxhubServer(REDIS_URL="memory://", LOG_FORMAT="json", ACCESS_LOG="true")
    server.start()
    try:
        httpx.get(server.url + "/health/live", headers={"X-Request-ID": "trace-42"})
    finally:
        server.stop()
    entries = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    access = [e for e in entries if e["logger"] == "voxhub.access"]
    assert any(e["request_id"] == "trace-42" and "/health/live 200" in e["message"] for e in access)
    assert all({"time", "level", "logger", "message", "request_id"} <= set(e) for e in entries)


def test_two_instances_started_from_one_folder_keep_their_own_metrics(tmp_path: Path) -> None:
    """`voxhub serve` clears its samples at start: by default its folder is per port, so a
    second instance started from the same directory leaves the first's counters alone."""
    first = VoxhubServer(REDIS_URL="memory://", PROMETHEUS_MULTIPROC_DIR="")
    second = VoxhubServer(REDIS_URL="memory://", PROMETHEUS_MULTIPROC_DIR="")
    for server in (first, second):
        server.cwd = str(tmp_path)
    first.start()
    try:
        for _ in range(3):
            httpx.get(first.url + "/api/plans")
        counted = 'voxhub_http_requests_total{method="GET",route="/api/plans",status="200"} 3.0'
        assert counted in httpx.get(first.url + "/metrics").text
        second.start()
        try:
            assert counted in httpx.get(first.url + "/metrics").text
        finally:
            second.stop()
    finally:
        first.stop()
    assert sorted(os.listdir(tmp_path / "var" / "prometheus")) == sorted(
        [str(first.port), str(second.port)]
    )
