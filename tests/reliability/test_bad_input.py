"""Bad input is refused at the door: definitions that would break at run time are refused when registered, with
the JSON path of each problem, on the embedded engine and over HTTP alike; oversized bodies get a clear 413.

(The server is also fuzzed from OpenAPI documents: test_fuzz.py.)
"""

from __future__ import annotations

import json
import socket

import pytest
import requests

from conductor_nb import StartWorkflowRequest, TaskDef, WorkflowDef
from conductor_nb.engine import validation
from conductor_nb.engine.tasks import REGISTRY
from conductor_nb.errors import BadRequestError
from conductor_nb.server.handler import MAX_BODY_BYTES


def task(ref, type_="SIMPLE", **fields):
    return {"name": fields.pop("name", ref), "taskReferenceName": ref, "type": type_, **fields}


def flow(*tasks, name="bad_input_flow", **fields):
    return {"name": name, "version": 1, "tasks": list(tasks), **fields}


def fork(ref, *branches):
    return task(ref, "FORK_JOIN", forkTasks=[list(b) for b in branches])


def refusal(engine, definition) -> list[tuple[str, str]]:
    """(path, message) of every problem the engine finds registering `definition` (a dict); [] if accepted."""
    try:
        engine.register_workflow_def(definition, overwrite=True)
    except BadRequestError as e:
        assert e.validation_errors, "every refusal names its fields"
        return [(v.path, v.message) for v in e.validation_errors]
    return []


def http_refusal(server, definition) -> list[tuple[str, str]]:
    answer = requests.post(f"{server.url}/metadata/workflow", params={"overwrite": "true"}, json=definition)
    if answer.status_code == 200:
        return []
    body = answer.json()
    assert answer.status_code == 400, body
    assert body["status"] == 400 and isinstance(body["message"], str) and body["retryable"] is False
    return [(v["path"], v["message"]) for v in body["validationErrors"]]


def paths(problems):
    return [p for p, _ in problems]


# ---------------------------------------------------------------------------------------------- duplicate refs
def test_duplicate_task_references_are_refused_with_their_path(engine, server):
    nested = flow(task("a"), fork("f", [task("a", name="x")], [task("b")]), task("j", "JOIN", joinOn=["a", "b"]))
    for problems in (refusal(engine, nested), http_refusal(server, nested)):
        assert paths(problems) == ["tasks[1].forkTasks[0][0].taskReferenceName"]
        assert "duplicate task reference name 'a'" in problems[0][1]


# ----------------------------------------------------------------------------------------------- fork and join
def test_a_fork_without_its_join_is_refused_at_registration(engine, server):
    no_join = flow(fork("f", [task("a")], [task("b")]), task("after"))
    last = flow(task("first"), fork("f", [task("a")], [task("b")]))
    dynamic = flow(task("d", "FORK_JOIN_DYNAMIC", dynamicForkTasksParam="t", dynamicForkTasksInputParamName="i",
                        inputParameters={"t": [], "i": {}}), task("not_join", "SET_VARIABLE"))
    for register in (lambda d: refusal(engine, d), lambda d: http_refusal(server, d)):
        problems = register(no_join)
        assert paths(problems) == ["tasks[0].type"]
        assert "must be followed by a JOIN" in problems[0][1] and "'after' (SIMPLE)" in problems[0][1]
        assert paths(register(last)) == ["tasks[1].type"]
        assert paths(register(dynamic)) == ["tasks[0].type"]
    nested = flow(task("s", "SWITCH", evaluatorType="value-param", expression="k", inputParameters={"k": "x"},
                       decisionCases={"x": [fork("f", [task("a")]), task("oops")]}))
    assert paths(refusal(engine, nested)) == ["tasks[0].decisionCases.x[0].type"]


def test_forks_with_their_joins_register_and_run(engine):
    good = flow(fork("f", [task("a", "SET_VARIABLE", inputParameters={"x": 1})], [task("b", "NOOP")]),
                task("j", "JOIN", joinOn=["a", "b"]))
    assert refusal(engine, good) == []
    run = engine.execute_workflow(StartWorkflowRequest(name="bad_input_flow", version=1))
    assert run.status == "COMPLETED"


# -------------------------------------------------------------------------------------- references to tasks
def test_a_reference_to_a_task_that_is_not_in_the_definition_is_refused(engine, server):
    bad = flow(task("a"), task("b", inputParameters={"ok": "${a.output.x}", "deep": {"list": ["${nope.output.y}"]},
                                                       "text": "total: ${typo.output.n} items"}))
    for problems in (refusal(engine, bad), http_refusal(server, bad)):
        assert paths(problems) == ["tasks[1].inputParameters.deep.list[0]", "tasks[1].inputParameters.text"]
        assert "'${nope...}' refers to a task reference name that is not in the workflow definition" in problems[0][1]


def test_references_that_conductor_accepts_are_accepted(engine):
    loop = task("loop", "DO_WHILE", loopCondition="false", loopOver=[task("inner", "NOOP")])
    ok = flow(loop, task("b", inputParameters={
        "workflow": "${workflow.input.x}", "nested_task": "${inner.output.y}", "iteration": "${inner__1.output}",
        "system": "${CPEWF_TASK_ID}", "environment": "${SOME_ENV_NAME}", "escaped": "$${nowhere.output.z}",
        "later": "${c.output}"}), task("c"))
    assert refusal(engine, ok) == []
    # a dynamic fork's branches have references the definition cannot know
    dynamic = flow(task("d", "FORK_JOIN_DYNAMIC", dynamicForkTasksParam="t", dynamicForkTasksInputParamName="i",
                        inputParameters={"t": [], "i": {}}), task("j", "JOIN"),
                   task("after", inputParameters={"x": "${branch_made_at_run_time.output}"}))
    assert refusal(engine, dynamic) == []


# ------------------------------------------------------------------------------------------ wrongly typed fields
WRONG_TYPES = [
    ({"name": "w", "tasks": "not a list"}, "tasks", "must be an array"),
    (flow(task("a", inputParameters=["not", "a", "map"])), "tasks[0].inputParameters", "must be an object"),
    (flow(task("a"), timeoutSeconds="soon"), "timeoutSeconds", "must be an integer"),
    (flow(task("a", startDelay={"s": 1})), "tasks[0].startDelay", "must be an integer"),
    (flow(task("a", optional="perhaps")), "tasks[0].optional", "must be a boolean"),
    (flow(task("s", "SWITCH", decisionCases=[task("x")])), "tasks[0].decisionCases", "must be an object"),
    (flow(fork("f", [task("a")]) | {"forkTasks": [task("a")]}, task("j", "JOIN")), "tasks[0].forkTasks[0]",
     "must be an array"),
    (flow(task("a", taskDefinition="retry please")), "tasks[0].taskDefinition", "must be an object"),
    (flow(task("a"), version=2**64), "version", ""),
    ({"name": "w", "tasks": [None]}, "tasks[0]", "must not be null"),  # found by `make soak`'s fuzzing
    (flow(task("s", "SWITCH", decisionCases={"x": [task("x"), None]})), "tasks[0].decisionCases.x[1]",
     "must not be null"),
]


@pytest.mark.parametrize("definition, path, message", WRONG_TYPES, ids=[p for _, p, _ in WRONG_TYPES])
def test_wrongly_typed_fields_are_refused_with_their_path(engine, server, definition, path, message):
    for problems in (refusal(engine, definition), http_refusal(server, definition)):
        assert path in paths(problems), problems
        assert message in dict(problems)[path]
    assert engine.get_all_workflow_defs() == []


def test_wrongly_typed_task_definitions_and_start_requests_are_refused(engine):
    with pytest.raises(BadRequestError) as raised:
        engine.register_task_defs([TaskDef.from_dict({"name": "t", "retryCount": "many"})])
    assert [v.path for v in raised.value.validation_errors] == ["[0].retryCount"]
    with pytest.raises(BadRequestError) as raised:
        engine.start_workflow(StartWorkflowRequest.from_dict({"name": "w", "priority": "urgent"}))
    assert [v.path for v in raised.value.validation_errors] == ["priority"]
    with pytest.raises(BadRequestError) as raised:
        engine.start_workflow(StartWorkflowRequest.from_dict({"name": "w", "workflowDef": {"name": "w", "tasks": 5}}))
    assert [v.path for v in raised.value.validation_errors] == ["workflowDef.tasks"]
    with pytest.raises(BadRequestError) as raised:
        engine.start_workflow(StartWorkflowRequest.from_dict({"workflowDef": {"name": "w", "tasks": [
            {"name": "l", "taskReferenceName": "l", "type": "DO_WHILE", "loopOver": [None]}]}}))
    assert [v.path for v in raised.value.validation_errors] == ["workflowDef.tasks[0].loopOver[0]"]


def test_numeric_text_is_coerced_as_jackson_coerces_it(engine):
    assert refusal(engine, flow(task("a", startDelay="0"), timeoutSeconds="60")) == []
    assert engine.get_workflow_def("bad_input_flow").timeout_seconds == 60


# ----------------------------------------------------------------------------------------------- unknown types
def test_an_unknown_task_type_is_refused_unless_a_task_definition_names_it():
    known = {"registered_custom"}
    check = lambda d: validation.workflow_def(d, 0, task_def_exists=known.__contains__)  # noqa: E731
    with pytest.raises(BadRequestError) as raised:
        check(flow(task("t", "MY_TYPO_TYPE")))
    (problem,) = raised.value.validation_errors
    assert problem.path == "tasks[0].type" and "unknown task type 'MY_TYPO_TYPE'" in problem.message
    assert all(kind in problem.message for kind in REGISTRY)  # the types the engine runs
    check(flow(task("t", "MY_CUSTOM", name="registered_custom")))  # runs as a worker task of type MY_CUSTOM
    check(flow(task("t", "MY_CUSTOM", taskDefinition={"name": "t", "retryCount": 1})))  # an embedded TaskDef
    check(flow(task("t")))  # SIMPLE tasks need no task definition, as in Conductor


def test_the_engine_refuses_an_unknown_task_type_at_registration(engine):
    assert paths(refusal(engine, flow(task("t", "MY_TYPO_TYPE")))) == ["tasks[0].type"]
    engine.register_task_defs([TaskDef(name="custom_worker")])
    assert refusal(engine, flow(task("t", "MY_CUSTOM", name="custom_worker"))) == []


# ------------------------------------------------------------------------------------------- oversized bodies
def raw_request(server, head: str, body: bytes = b"") -> tuple[int, dict]:
    """Send a request by hand (the body may be shorter than announced) and read the status and JSON reply."""
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        header, _, rest = data.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in header.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        while len(rest) < length:
            rest += s.recv(65536)
    return int(header.split()[1]), json.loads(rest[:length])


def test_an_oversized_body_is_refused_with_a_clear_413(server):
    head = (f"POST /api/workflow/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {MAX_BODY_BYTES + 1}\r\n")
    status, body = raw_request(server, head, b"{")
    assert status == 413
    assert body == {"status": 413, "message": f"The request body is larger than {MAX_BODY_BYTES} bytes",
                    "instance": socket.gethostname(), "retryable": False}
    chunked = "POST /api/workflow/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    status, body = raw_request(server, chunked, f"{MAX_BODY_BYTES + 1:x}\r\n".encode())
    assert status == 413 and "larger than" in body["message"]
    assert requests.get(f"{server.url}/health").status_code == 200  # and the server goes on


def test_a_large_body_under_the_limit_is_served(engine, server):
    engine.register_workflow_def(WorkflowDef.from_dict(flow(task("a"), name="big")))
    payload = {"blob": "x" * (8 * 2**20)}
    answer = requests.post(f"{server.url}/workflow/big", json=payload)
    assert answer.status_code == 200
    assert engine.get_workflow(answer.text).input == payload
