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


# Seed 000's routes (contract §3) answer in the `{success, data}` envelope; /api/health is flat.
SEED000 = {
    "/api/users": ("post", "get", "patch"),
    "/api/tokens": ("get", "patch", "put"),
    "/api/plans": ("get",),
    "/api/user-plans": ("get", "post"),
    "/api/conversation": ("get", "post"),
    "/api/prompts": ("get", "post"),
    "/api/token": ("get",),
    "/api/user-current-plan": ("get",),
    "/api/user-prompt": ("post", "delete"),
    "/api/user-voice": ("get", "post"),
    "/api/user-activity": ("post", "get"),
    "/api/voice-sessions": ("post", "get"),
    "/api/voice-sessions/stats": ("get",),
    "/api/admin/plans": ("get", "post", "put", "delete"),
}


def _properties(answer: dict) -> set[str]:
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return set(schema.get("properties", {}))


def test_seed000_routes_document_the_envelope(embedded: VoxhubServer) -> None:
    paths = httpx.get(embedded.url + "/docs/openapi.json").json()["paths"]
    gaps = []
    for path, methods in SEED000.items():
        for method in methods:
            operation = paths.get(path, {}).get(method)
            if operation is None:
                gaps.append(f"{method} {path}: not documented")
                continue
            for status, answer in operation["responses"].items():
                wanted = (
                    {"success", "data"} if str(status).startswith("2") else {"success", "error"}
                )
                if not wanted <= _properties(answer):
                    gaps.append(f"{method} {path} {status}: not {sorted(wanted)}")
    assert gaps == []
