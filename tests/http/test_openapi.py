"""Every route is documented at /docs with its request and response bodies."""

import httpx

from tests.fixtures.voxhub_server import VoxhubServer

METHODS = ("get", "post", "put", "patch", "delete")


def test_every_operation_documents_its_bodies(embedded: VoxhubServer) -> None:
    spec = httpx.get(embedded.url + "/docs/openapi.json").json()
    gaps = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.get("responses", {})
            if not operation.get("summary"):
                gaps.append(f"{method} {path}: summary")
            if method in ("post", "put", "patch") and "requestBody" not in operation:
                gaps.append(f"{method} {path}: request body")
            if path == "/ws":
                if "101" not in responses:
                    gaps.append("get /ws: 101 response")
            elif method != "delete" and not any(
                str(status).startswith("2") and answer.get("content")
                for status, answer in responses.items()
            ):
                gaps.append(f"{method} {path}: 2xx response body")
    assert gaps == []
    every_domain = {
        "/health",
        "/api/tokens",
        "/api/chats",
        "/ws",
        "/stats",
        "/webrtc",
        "/api/roulette/save",
        "/api/auth/login",
        "/metrics",
    }
    assert every_domain <= set(spec["paths"])
