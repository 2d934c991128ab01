"""Fuzz the API from its own OpenAPI document: no generated request may get a 5xx.

Bounded: a fixed number of examples per operation, schema-valid ("positive") and
schema-violating ("negative"), derandomized, against the live server the tests start.
Schemathesis builds the requests from ``/openapi.json``; hypothesis drives them.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

OPERATIONS = [
    ("/api/v1/response", "POST"),
    ("/api/v1/response/upload", "POST"),
    ("/api/v1/expression", "POST"),
    ("/api/v1/repurposing", "POST"),
    ("/api/v1/models", "GET"),
    ("/api/v1/models/{name}", "GET"),
    ("/api/v1/health", "GET"),
]
EXAMPLES = 40
SERVED = {
    "/api/v1/response": "gdsc2-demo-enet",
    "/api/v1/expression": "a375-expr-ridge",
    "/api/v1/repurposing": "a375-expr-ridge",
}
#: operations without inputs have no invalid request to generate
NO_INPUT = {("/api/v1/models", "GET"), ("/api/v1/health", "GET")}
CASES = [
    pytest.param(path, method, mode, id=f"{method} {path} {mode.value}")
    for path, method in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode is GenerationMode.NEGATIVE and (path, method) in NO_INPUT)
]


@pytest.fixture(scope="module")
def api_schema(base_url):
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


def test_every_operation_is_fuzzed(api_schema):
    listed = {(op.ok().path, op.ok().method.upper()) for op in api_schema.get_all_operations()}
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_no_request_gets_a_server_error(api_schema, base_url, path, method, mode):
    operation = api_schema[path][method]
    seen: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case):
        # Half the valid bodies address a served model, so they reach the library code
        # instead of stopping at "unknown model".
        if mode is GenerationMode.POSITIVE and isinstance(case.body, dict) and len(seen) % 2 == 0:
            case.body["model"] = SERVED.get(path, case.body.get("model"))
        response = case.call(base_url=base_url, timeout=60)
        seen.append(response.status_code)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
        )

    check()
    assert seen, "no request was generated"
