"""The server fuzzed with schemathesis, from its own OpenAPI document (GET /api-docs) and from Conductor OSS's
(../shared/reference/openapi/conductor-oss.json, only the operations this server serves): valid and invalid
requests (negative mode: wrong types, missing fields, bad formats), with a fixed seed (hypothesis's derandomize)
and a bounded number of examples per operation.

Every answer must come within the time limit (no hang), never be a 5xx, and every error must be Conductor's
ErrorResponse; anything else fails the test with a list of what went wrong. The bugs fuzzing found are each
reproduced by a test of their own at the end.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
import requests

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402

from conductor_nb.server import ConductorServer  # noqa: E402

from reliability_support import SOAK, figure  # noqa: E402

REFERENCE = Path(os.environ.get("CONDUCTOR_NB_REFERENCE", "/work/shared/reference"))
OSS_SPEC = REFERENCE / "openapi" / "conductor-oss.json"
EXAMPLES = 25 if SOAK else 3  # per operation and generation mode
TIMEOUT_S = 20.0  # no hang: the longest legitimate wait is a 5 s long poll (or a 10 s sync execute)
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)

def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path.rstrip("/"))


def error_shape_problem(response) -> str | None:
    """What is wrong with an error answer (a schemathesis Response; None: it is Conductor's ErrorResponse)."""
    content_type = ",".join(response.headers.get("content-type", []))
    if "application/json" not in content_type:
        return f"Content-Type {content_type!r}"
    try:
        body = json.loads(response.content)
    except ValueError:
        return "not JSON"
    if not isinstance(body, dict) or body.get("status") != response.status_code:
        return f"status field {body.get('status') if isinstance(body, dict) else body!r}"
    if not isinstance(body.get("message"), str) or not isinstance(body.get("retryable"), bool):
        return "message or retryable missing"
    for item in body.get("validationErrors", []):
        if not (isinstance(item, dict) and isinstance(item.get("path"), str) and isinstance(item.get("message"), str)):
            return f"validation error {item!r}"
    return None


def fuzz(server: ConductorServer, spec: dict, label: str) -> None:
    base = server.url[: -len("/api")]
    served = {(m.upper(), _template(p)) for p, ops in requests.get(f"{base}/api-docs").json()["paths"].items()
              for m in ops}
    schema = schemathesis.openapi.from_dict(spec)
    failures: list[str] = []
    slowest = (0.0, "")
    calls = operations = 0
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), _template(operation.path)) not in served:
            continue
        operations += 1
        for mode in MODES:
            @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=operation.as_strategy(generation_mode=mode))
            def exchange(case):
                nonlocal calls, slowest
                calls += 1
                where = f"{case.method} {case.formatted_path}"
                began = time.monotonic()
                try:
                    response = case.call(base_url=base, timeout=TIMEOUT_S)
                except requests.Timeout:
                    failures.append(f"{where}: no answer within {TIMEOUT_S} s (query {case.query})")
                    return
                except requests.ConnectionError as e:
                    failures.append(f"{where}: connection error {e}")
                    return
                took = time.monotonic() - began
                slowest = max(slowest, (took, where))
                if response.status_code < 400:
                    return
                shape = error_shape_problem(response)
                if shape:
                    failures.append(f"{where} -> {response.status_code}: not an ErrorResponse ({shape}): "
                                    f"{response.text[:200]}")
                if response.status_code >= 500:
                    failures.append(f"{where} (query {case.query}, body {str(case.body)[:200]}) -> "
                                    f"{response.status_code}: {response.text[:300]}")

            try:
                exchange()
            except Unsatisfiable:
                pass  # nothing to make invalid (no parameters, or only free-form strings)
    figure(f"fuzz {label}: {operations} operations, {calls} requests in {time.monotonic() - started:.0f} s, "
           f"slowest {slowest[0]:.2f} s ({slowest[1]})")
    assert operations > 30, "the spec's operations should match the routes"
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures[:40])


def test_fuzzed_from_its_own_openapi_document(server):
    spec = requests.get(server.url[: -len("/api")] + "/api-docs").json()
    fuzz(server, spec, "own /api-docs")


@pytest.mark.skipif(not OSS_SPEC.exists(), reason=f"Conductor OSS's OpenAPI document not found at {OSS_SPEC}")
def test_fuzzed_from_conductor_oss_openapi_document(server):
    fuzz(server, json.loads(OSS_SPEC.read_text()), "conductor-oss.json")


# ---------------------------------------------------------------------------------- the bugs fuzzing found
def test_integers_beyond_a_java_long_are_bad_requests(server):
    huge = str(2**63)
    for method, path, params in [("GET", "/metadata/workflow/x", {"version": huge}),
                                 ("DELETE", f"/metadata/workflow/x/{huge}", {}),
                                 ("GET", "/workflow/running/x", {"startTime": huge}),
                                 ("GET", "/tasks/poll/batch/x", {"count": huge}),
                                 ("POST", f"/workflow/execute/x/{huge}", {})]:
        answer = requests.request(method, server.url + path, params=params, json={})
        assert answer.status_code == 400, (method, path, answer.text)


def test_a_null_body_for_correlated_workflows_is_a_bad_request(server):
    answer = requests.post(f"{server.url}/workflow/x/correlated", data="null",
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["validationErrors"][0]["path"] == "body"
