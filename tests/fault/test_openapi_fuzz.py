"""schemathesis over the OpenAPI document, against two workers on real Redis and PostgreSQL:
whatever a caller sends, valid by the document or not, no answer is a 5xx, and every answer has
a status, content type and body that the document promises for that route. Run as an admin and
as a plain user, since each meets different checks on the same route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.core.failures import FailureGroup

from tests.accounts.client import token_for
from tests.fixtures.voxhub_server import VoxhubServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
]
FUZZING = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def tracebacks(server: VoxhubServer) -> list[str]:
    """A 4xx that the server reached by crashing inside (and logging it) is still a bug."""
    return [chunk[:3000] for chunk in server.log().split("Traceback")[1:]]


def fuzz(schema: Any, credentials: Callable[[], dict[str, str]], mode: GenerationMode) -> list[str]:
    """Every operation in turn; the failures of all of them, so that one run shows them all.
    Each call gets a token of its own: POST /api/auth/logout revokes the one it is called with."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZING
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: Any) -> None:
            case.call_and_validate(headers=credentials(), checks=CHECKS, timeout=10)

        try:
            call()
        except Unsatisfiable:  # nothing to get wrong: an operation without inputs, negated
            continue
        except (AssertionError, FailureGroup) as exc:  # reported together below
            failures.append(f"{operation.label}: {exc}")
    return failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("role", ["admin", "user"])
def test_no_5xx_and_answers_as_documented(
    fuzz_cluster: VoxhubServer, role: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(fuzz_cluster.url + "/docs/openapi.json")
    sub = "1" if role == "user" else "fuzz-admin"
    failures = fuzz(schema, lambda: token_for(sub, role), mode) + tracebacks(fuzz_cluster)
    assert not failures, "\n\n".join(failures)
