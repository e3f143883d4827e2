"""Conductor's own definitions, run on the embedded engine, with the outcomes Conductor's test suites expect.

The corpus is /work/shared/reference/workflows (README there): test-harness/ (conductor-oss/conductor,
test-harness/src/test/resources), e2e/ (e2e/src/test/resources/metadata), kitchensink/, and two single files.

1. Every workflow definition registers and reads back with every field it was given (task definitions too).
2. The test-harness definitions replay the scenario of the spec that exercises them (test-harness/src/test/groovy
   /.../integration/<Spec>.groovy, or its current Java port test-harness/src/test/java/.../<Spec>Test.java, named
   in each test's docstring): poll, complete or fail worker tasks as the spec does, then assert its expectations.
   The e2e and other definitions run where their purpose is clear (e2e/src/test/java/io/conductor/e2e/**).

Conventions. Conductor runs SUB_WORKFLOW, JOIN, HTTP... on an asynchronous system-task worker, so its specs
sometimes see a SUB_WORKFLOW task SCHEDULED before the spec calls `asyncSystemTaskExecutor.execute`; the embedded
engine starts a child at once, so the tests expect IN_PROGRESS there. Conductor runs INLINE/LAMBDA/JQ inside
decide; the engine runs them on its threads, so the harness reads a workflow once none is pending. A spec's
`sweep(id)` is a decide, which the engine does on every update. Retry delays, callbacks, WAIT durations and
timeouts run on a clock the tests move forward (`Conductor.advance`/`after`), never on real sleeps.

Marks. `xfail(strict=True, reason="engine bug: ...")`: an implemented feature that behaves differently from
Conductor; the test holds Conductor's expectation. `not_implemented(op, method)`: xfail (raises AttributeError /
NotImplementedError) only while the Engine lacks `method`. docs/compatibility.md is the table and the bug list.
"""

from __future__ import annotations

import inspect
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conductor_nb import StartWorkflowRequest, TaskDef, TaskResult, WorkflowDef
from conductor_nb.engine import Engine
from conductor_nb.errors import BadRequestError, ConflictError, NotFoundError

CORPUS = Path(os.environ.get("CONDUCTOR_NB_REFERENCE", "/work/shared/reference")) / "workflows"
if not CORPUS.is_dir():
    pytest.skip(f"reference corpus not found at {CORPUS}", allow_module_level=True)

HARNESS = CORPUS / "test-harness"
E2E = CORPUS / "e2e"
KITCHENSINK = CORPUS / "kitchensink"

# The failure marks, one per missing operation or feature (see the module docstring).
MISSING = (AttributeError, NotImplementedError)


def _implemented(method: str) -> bool:
    function = getattr(Engine, method, None)
    if not callable(function):
        return False
    try:
        return "raise NotImplementedError" not in inspect.getsource(function)
    except (OSError, TypeError):
        return True


def not_implemented(operation, method):
    """xfail while the Engine has no `method` (the mark lifts itself the day it lands)."""
    return pytest.mark.xfail(not _implemented(method), strict=True, raises=MISSING,
                             reason=f"{operation} not implemented yet")


def engine_bug(summary):
    return pytest.mark.xfail(strict=True, reason=f"engine bug: {summary}")


# ============================================================================================ the corpus
def load(path: Path):
    text = path.read_text()
    return json.loads(text) if text.strip() else None


def is_workflow_def(item) -> bool:
    return isinstance(item, dict) and "tasks" in item and "name" in item


def is_task_def(item) -> bool:
    return isinstance(item, dict) and "name" in item and "tasks" not in item and "taskReferenceName" not in item \
        and any(k in item for k in ("retryCount", "timeoutSeconds", "responseTimeoutSeconds", "retryLogic"))


def classify(data) -> str:
    """What a corpus file holds: workflow def(s), task def(s), a start/test request with an inline
    definition, an event handler, or other JSON (payloads, start inputs)."""
    if data is None:
        return "empty"
    items = data if isinstance(data, list) else [data]
    if all(is_workflow_def(i) for i in items):
        return "workflow_defs"
    if all(is_task_def(i) for i in items):
        return "task_defs"
    if isinstance(data, dict) and is_workflow_def(data.get("workflowDef")):
        return "workflow_test_request" if "taskRefToMockOutput" in data else "start_request"
    if isinstance(data, dict) and "event" in data and "actions" in data:
        return "event_handler"
    return "other"


CORPUS_FILES = sorted(p for p in CORPUS.rglob("*.json"))


def _rel(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def _definitions():
    """(id, definition dict) for every workflow definition in the corpus, inline ones included."""
    out = []
    for path in CORPUS_FILES:
        data = load(path)
        kind = classify(data)
        if kind == "workflow_defs":
            items = data if isinstance(data, list) else [data]
            names = [i["name"] for i in items]
            for item in items:
                if len(items) == 1:
                    test_id = _rel(path)
                elif names.count(item["name"]) > 1:
                    test_id = f"{_rel(path)}::{item['name']}:v{item.get('version')}"
                else:
                    test_id = f"{_rel(path)}::{item['name']}"
                out.append((test_id, item))
        elif kind in ("start_request", "workflow_test_request"):
            out.append((f"{_rel(path)}::workflowDef", data["workflowDef"]))
    return out


def _task_defs():
    out = []
    for path in CORPUS_FILES:
        data = load(path)
        if classify(data) == "task_defs":
            for item in data if isinstance(data, list) else [data]:
                out.append((f"{_rel(path)}::{item['name']}", item))
    return out


DEFINITIONS = _definitions()
TASK_DEFS = _task_defs()
# Audit fields the server sets itself on registration.
SERVER_SET = {"createTime", "updateTime", "createdBy", "updatedBy"}
# Definitions Conductor itself rejects, with the reason it gives.
REJECTED = {
    "kitchensink/wf1.json": "schemaVersion",  # schemaVersion 1: "workflowDef schemaVersion: 1 is only supported"
}


def missing_or_different(given, stored, path="") -> list[str]:
    """Where `stored` lacks or changes a field of `given` (nulls in `given` may be dropped: NON_NULL)."""
    problems = []
    if isinstance(given, dict):
        if not isinstance(stored, dict):
            return [f"{path or '.'}: {type(stored).__name__} instead of an object"]
        for key, value in given.items():
            if not path and key in SERVER_SET:
                continue
            if key not in stored:
                if value is not None:
                    problems.append(f"{path}.{key}: missing (was {json.dumps(value)[:60]})")
            else:
                problems += missing_or_different(value, stored[key], f"{path}.{key}")
    elif isinstance(given, list):
        if not isinstance(stored, list) or len(given) != len(stored):
            return [f"{path}: {json.dumps(given)[:60]} became {json.dumps(stored)[:60]}"]
        for i, (a, b) in enumerate(zip(given, stored)):
            problems += missing_or_different(a, b, f"{path}[{i}]")
    elif given != stored:
        problems.append(f"{path}: {given!r} became {stored!r}")
    return problems


@pytest.fixture
def engine(tmp_path):
    engine = Engine(str(tmp_path / "corpus.db"))
    yield engine
    engine.close()


def test_every_corpus_file_is_classified():
    kinds = {_rel(p): classify(load(p)) for p in CORPUS_FILES}
    assert kinds["test-harness/input.json"] == "empty"  # the spec's external-payload scratch file
    assert kinds["test-harness/output.json"] == "other"  # an external payload (ExternalPayloadStorageSpec)
    assert kinds["test-harness/start_workflow_input.json"] == "other"  # a START_WORKFLOW task input
    assert kinds["test-harness/sqs-complete-wait-event-handler.json"] == "event_handler"
    assert kinds["workflow-test-request.json"] == "workflow_test_request"
    assert kinds["kitchensink/kitchenSink-ephemeralWorkflowWithStoredTasks.json"] == "start_request"
    assert kinds["e2e/tasks_data.json"] == "task_defs"
    unexplained = {f: k for f, k in kinds.items() if k == "other"}
    assert set(unexplained) == {"test-harness/output.json", "test-harness/start_workflow_input.json"}


@pytest.mark.parametrize("test_id, definition", DEFINITIONS, ids=[d[0] for d in DEFINITIONS])
def test_definition_registers_and_reads_back(engine, test_id, definition):
    # The harness's own system task types (USER_TASK, BLOCKING_SYSTEM_TASK) are worker tasks here, accepted
    # because a TaskDef of their name is registered, as the harness's task definitions are before every spec.
    engine.register_task_defs(harness_task_defs() + [TaskDef(name="blocking_system_task")])
    if test_id in REJECTED:
        with pytest.raises(BadRequestError) as raised:
            engine.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
        assert REJECTED[test_id] in str(raised.value)
        return
    engine.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
    stored = engine.get_workflow_def(definition["name"], definition.get("version", 1)).to_dict()
    assert missing_or_different(definition, stored) == []
    assert stored["schemaVersion"] == 2 and stored["version"] == definition.get("version", 1)


@pytest.mark.parametrize("test_id, task_def", TASK_DEFS, ids=[d[0] for d in TASK_DEFS])
def test_task_definition_registers_and_reads_back(engine, test_id, task_def):
    engine.register_task_defs([TaskDef.from_dict(task_def)])
    assert missing_or_different(task_def, engine.get_task_def(task_def["name"]).to_dict()) == []


def test_inline_workflow_task_definitions_survive_registration(engine):
    """FanInOutPermissiveTest_2 embeds full TaskDefs in its WorkflowTasks (taskDefinition)."""
    definition = load(HARNESS / "fork_join_with_no_permissive_task_retry_integration_test.json")
    engine.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
    stored = engine.get_workflow_def(definition["name"], 1)
    t1 = stored.tasks[0].fork_tasks[0][0]
    assert t1.task_definition.retry_count == 0 and t1.task_definition.name == "integration_p_task_0_RT_1"


# ========================================================================================= the harness
class OffsetClock:
    """The real clock plus an offset the tests move forward: retry delays and WAIT durations pass at once.
    Engines that subscribe are told when it jumps, so they wake their queues and timers."""

    def __init__(self):
        self.offset_ms = 0
        self._listeners = []

    def now(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def advance(self, seconds: float) -> None:
        self.offset_ms += int(seconds * 1000)
        for callback in list(self._listeners):
            callback()

    def subscribe(self, callback) -> None:
        self._listeners.append(callback)


# WorkflowTestUtil.taskDefinitions(): what the test harness registers before every spec.
# `new TaskDef(name, description, ownerEmail, retryCount, timeoutSeconds, responseTimeoutSeconds)`; the rest
# are TaskDef's defaults (retryDelaySeconds 60, FIXED, TIME_OUT_WF).
def harness_task_defs() -> list[TaskDef]:
    email = "test@harness.com"
    defs = [TaskDef(name=f"integration_task_{i}", description=f"integration_task_{i}", owner_email=email,
                    retry_count=1, timeout_seconds=120, response_timeout_seconds=120) for i in range(21)]
    defs += [TaskDef(name=f"integration_task_0_RT_{i}", description=f"integration_task_0_RT_{i}",
                     owner_email=email, retry_count=0, timeout_seconds=120, response_timeout_seconds=120)
             for i in range(5)]
    defs += [
        TaskDef(name="short_time_out", owner_email=email, retry_count=1, timeout_seconds=5,
                response_timeout_seconds=5),
        TaskDef(name="task_rt", owner_email=email, timeout_seconds=120, retry_count=1, retry_delay_seconds=0,
                response_timeout_seconds=10),
        TaskDef(name="task_optional", owner_email=email, timeout_seconds=5, retry_count=1, timeout_policy="RETRY",
                retry_delay_seconds=0, response_timeout_seconds=5),
        TaskDef(name="simple_task_in_sub_wf", owner_email=email, retry_count=0),
        TaskDef(name="sub_workflow_task", owner_email=email, retry_count=1, response_timeout_seconds=5,
                retry_delay_seconds=0),
        TaskDef(name="waitTimeout", owner_email=email, timeout_seconds=2, response_timeout_seconds=2,
                retry_count=1, timeout_policy="RETRY", retry_delay_seconds=10),
        TaskDef(name="user_task", owner_email=email, timeout_seconds=20, response_timeout_seconds=20,
                retry_count=1, timeout_policy="RETRY", retry_delay_seconds=10),
        TaskDef(name="eventX", owner_email=email, timeout_seconds=10, response_timeout_seconds=10),
        TaskDef(name="test_task_with_rateLimits", owner_email=email, rate_limit_frequency_in_seconds=10,
                rate_limit_per_frequency=1),
        TaskDef(name="test_simple_task_with_rateLimits", owner_email=email, rate_limit_frequency_in_seconds=10,
                rate_limit_per_frequency=1),
        TaskDef(name="test_task_with_concurrency_limit", owner_email=email, concurrent_exec_limit=1),
    ]
    return defs


BACKGROUND_TYPES = {"INLINE", "LAMBDA", "JSON_JQ_TRANSFORM", "HTTP"}
TERMINAL = {"COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT"}


class Conductor:
    """WorkflowTestUtil's helpers over the public ConductorAPI methods of an embedded Engine."""

    def __init__(self, engine: Engine, clock: OffsetClock):
        self.api = engine
        self.clock = clock

    # -------------------------------------------------------------------------------------- definitions
    def register(self, *files: str) -> None:
        """Register every workflow definition in the named corpus files (test-harness/ unless a dir is given)."""
        for name in files:
            path = CORPUS / name if "/" in name else HARNESS / name
            data = load(path)
            for item in data if isinstance(data, list) else [data]:
                self.api.register_workflow_def(WorkflowDef.from_dict(item), overwrite=True)

    def task_def(self, name: str, **changes) -> None:
        """metadataService.updateTaskDef(new TaskDef(...)) as the specs do in their setup blocks."""
        current = self.api.get_task_def(name).to_dict()
        current.update({_camel(k): v for k, v in changes.items()})
        self.api.register_task_defs([TaskDef.from_dict(current)])

    def workflow_def(self, name: str, version: int = 1) -> dict:
        return self.api.get_workflow_def(name, version).to_dict()

    # ---------------------------------------------------------------------------------------- workflows
    def start(self, name: str, input=None, version=None, correlation_id=None, **fields) -> str:
        return self.api.start_workflow(StartWorkflowRequest(name=name, version=version, input=input or {},
                                                            correlation_id=correlation_id, **fields))

    def get(self, workflow_id: str):
        return self.api.get_workflow(workflow_id, include_tasks=True)

    def wf(self, workflow_id: str):
        """The workflow once the engine's threads finished its INLINE/LAMBDA/JQ/HTTP tasks: Conductor runs the
        scripting tasks inside decide, so its specs never see them pending."""
        return self.settle(workflow_id)

    def types(self, workflow_id: str) -> list[tuple[str, str]]:
        return [(t.task_type, t.status) for t in self.wf(workflow_id).tasks]

    def refs(self, workflow_id: str) -> list[tuple[str, str]]:
        return [(t.reference_task_name, t.status) for t in self.wf(workflow_id).tasks]

    def task(self, workflow_id: str, ref: str):
        return self.wf(workflow_id).get_task(task_reference_name=ref)

    def wait(self, workflow_id: str, until, timeout: float = 5.0):
        """The workflow once `until(wf)` holds (engine threads run HTTP, INLINE, JQ...), or as it is then."""
        deadline = time.monotonic() + timeout
        while True:
            wf = self.get(workflow_id)
            if until(wf) or time.monotonic() > deadline:
                return wf
            time.sleep(0.01)

    def settle(self, workflow_id: str, timeout: float = 5.0):
        """The workflow once no INLINE/LAMBDA/JQ/HTTP task is pending in it or its sub-workflows."""
        def idle(wf):
            return not self._busy(wf)
        return self.wait(workflow_id, idle, timeout)

    def _busy(self, wf) -> bool:
        for t in wf.tasks:
            if t.status in ("SCHEDULED", "IN_PROGRESS"):
                if t.task_type in BACKGROUND_TYPES and not (t.workflow_task and t.workflow_task.async_complete
                                                            and t.status == "IN_PROGRESS"):
                    return True
                if t.task_type == "SUB_WORKFLOW" and t.sub_workflow_id and self._busy(self.get(t.sub_workflow_id)):
                    return True
        return False

    def ended(self, workflow_id: str, timeout: float = 5.0):
        return self.wait(workflow_id, lambda wf: wf.status in TERMINAL, timeout)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def after(self, seconds: float, workflow_id: str, until, timeout: float = 3.0):
        """Move the clock, then the workflow once `until(wf)` holds: timeouts fire on the engine's timer thread."""
        self.advance(seconds)
        return self.wait(workflow_id, until, timeout)

    # ------------------------------------------------------------------------------------------- tasks
    def poll(self, task_type: str, worker: str = "integration.test.worker", wait_ms: int = 0):
        tasks = self.api.batch_poll_tasks(task_type, worker, 1, wait_ms)
        return tasks[0] if tasks else None

    def _polled(self, task_type: str, worker: str):
        task = self.poll(task_type, worker, wait_ms=3000)
        assert task is not None, f"no '{task_type}' task to poll"
        return task

    def complete(self, task_type: str, output=None, worker: str = "integration.test.worker"):
        """workflowTestUtil.pollAndCompleteTask: the polled task (as polled)."""
        task = self._polled(task_type, worker)
        self.update(task, "COMPLETED", output)
        return task

    def fail(self, task_type: str, reason: str = "failed", output=None, status: str = "FAILED",
             worker: str = "integration.test.worker"):
        """workflowTestUtil.pollAndFailTask."""
        task = self._polled(task_type, worker)
        self.update(task, status, output, reason)
        return task

    def update(self, task, status: str, output=None, reason=None, callback_after_seconds=None) -> None:
        self.api.update_task(TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id,
                                        status=status, output_data=dict(output or {}),
                                        reason_for_incompletion=reason,
                                        callback_after_seconds=callback_after_seconds))

    def complete_ref(self, workflow_id: str, ref: str, output=None, status: str = "COMPLETED") -> None:
        """workflowExecutor.updateTask on a task found by reference (WAIT, HUMAN, async-complete tasks)."""
        self.update(self.task(workflow_id, ref), status, output)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


@pytest.fixture
def clock():
    return OffsetClock()


@pytest.fixture
def conductor(tmp_path, clock):
    engine = Engine(str(tmp_path / "harness.db"), clock=clock)
    engine.register_task_defs(harness_task_defs())
    yield Conductor(engine, clock)
    engine.close()


def seq(*pairs: str) -> list[tuple[str, str]]:
    """'integration_task_1:COMPLETED' ... -> [(type or ref, status)]: the specs' task-list expectations."""
    return [p if isinstance(p, tuple) else tuple(p.rsplit(":", 1)) for p in pairs]


# ===================================================================================== SimpleWorkflowSpec
P = {"param1": "p1 value", "param2": "p2 value"}


def test_simple_workflow_completion(conductor):
    """SimpleWorkflowSpec 'Test simple workflow completion' (simple_workflow_1_integration_test.json)."""
    c = conductor
    c.register("simple_workflow_1_integration_test.json")
    wf_id = c.start("integration_test_wf", P, 1, "unit_test_1")
    assert c.wf(wf_id).status == "RUNNING" and c.types(wf_id) == seq("integration_task_1:SCHEDULED")
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "integration_task_2:SCHEDULED")
    polled = c.complete("integration_task_2")
    assert polled.input_data["tp1"] == "p1 value" and polled.input_data["tp2"] == "task1.done"
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and c.types(wf_id)[1] == ("integration_task_2", "COMPLETED")
    assert "o3" in wf.output and wf.output["o1"] == "p1 value" and wf.output["o3"] == "task1.done"
    # ${CPEWF_TASK_ID} is the task's own id
    assert wf.tasks[0].input_data["p3"] == wf.tasks[0].task_id and wf.tasks[1].input_data["tp3"] == wf.tasks[1].task_id


def test_simple_workflow_with_null_inputs(conductor):
    """SimpleWorkflowSpec 'Test simple workflow with null inputs'."""
    c = conductor
    c.register("simple_workflow_1_integration_test.json")
    assert "someNullKey" in c.workflow_def("integration_test_wf")["tasks"][0]["inputParameters"]
    wf_id = c.start("integration_test_wf", {"param1": "p1 value", "param2": None}, 1, "unit_test_1")
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING" and wf.input["param2"] is None
    assert c.types(wf_id) == seq("integration_task_1:SCHEDULED") and not wf.tasks[0].input_data.get("someNullKey")
    c.complete("integration_task_1", {"someOtherKey": {"a": 1, "A": None}, "someKey": None})
    wf = c.wf(wf_id)
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "integration_task_2:SCHEDULED")
    output = wf.tasks[0].output_data
    assert "someKey" in output and output["someKey"] is None
    assert "A" in output["someOtherKey"] and output["someOtherKey"]["A"] is None


def test_simple_workflow_terminal_error(conductor):
    """SimpleWorkflowSpec 'Test simple workflow terminal error condition'."""
    c = conductor
    c.register("simple_workflow_1_integration_test.json")
    definition = c.workflow_def("integration_test_wf")
    definition["outputParameters"]["validationErrors"] = "${t1.output.ErrorMessage}"
    c.api.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
    wf_id = c.start("integration_test_wf", P, 1, "unit_test_1")
    polled = c.fail("integration_task_1", "NON TRANSIENT ERROR OCCURRED: An integration point required to "
                    "complete the task is down", {"TERMINAL_ERROR": "Integration endpoint down: FOOBAR",
                                                   "ErrorMessage": "There was a terminal error"},
                    status="FAILED_WITH_TERMINAL_ERROR")
    assert polled.task_type == "integration_task_1" and polled.workflow_instance_id == wf_id
    wf = c.wf(wf_id)
    t1 = wf.get_task(task_reference_name="t1")
    assert wf.status == "FAILED" and t1.retry_count == 0
    assert wf.failed_reference_task_names == ["t1"] and wf.failed_task_names == ["integration_task_1"]
    assert wf.output.get("o1") == "p1 value" and wf.output.get("validationErrors") == "There was a terminal error"
    assert wf.reason_for_incompletion == (
        f"Task {t1.task_id} failed with status: FAILED and reason: "
        "'NON TRANSIENT ERROR OCCURRED: An integration point required to complete the task is down'")


@not_implemented("restart", "restart_workflow")
def test_simple_workflow_restart_of_a_running_workflow_is_a_conflict(conductor):
    """SimpleWorkflowSpec 'terminal error condition': restarting a RUNNING workflow raises ConflictException."""
    c = conductor
    c.register("simple_workflow_1_integration_test.json")
    wf_id = c.start("integration_test_wf", P, 1, "unit_test_1")
    with pytest.raises(ConflictError):
        c.api.restart_workflow(wf_id, False)


def test_simple_workflow_with_response_timeout(conductor):
    """SimpleWorkflowSpec 'Test Simple Workflow with response timeout' (task_rt: responseTimeoutSeconds 10)."""
    c = conductor
    c.register("simple_workflow_with_resp_time_out_integration_test.json")
    wf_id = c.start("RTOWF", P, 1, "unit_test_1")
    assert c.types(wf_id) == seq("task_rt:SCHEDULED")
    polled = c.poll("task_rt", "task1.integration.worker.testTimeout")
    assert polled.status == "IN_PROGRESS" and c.poll("task_rt") is None
    c.after(11, wf_id, lambda wf: len(wf.tasks) == 2)  # longer than the response timeout
    assert c.types(wf_id) == seq("task_rt:TIMED_OUT", "task_rt:SCHEDULED")
    retried = c._polled("task_rt", "w")
    c.update(retried, "IN_PROGRESS", callback_after_seconds=2)
    assert c.types(wf_id) == seq("task_rt:TIMED_OUT", "task_rt:SCHEDULED")
    c.advance(2)
    c.complete("task_rt", {"op": "task1.done"})
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "COMPLETED"


def test_workflow_defs_with_and_without_schema_version_register_as_version_2(conductor):
    """SimpleWorkflowSpec 'Test if the workflow definitions with and without schema version can be registered'."""
    c = conductor
    for name, extra in (("Test_schema_version1", {}), ("Test_schema_version2", {"schemaVersion": 2})):
        c.api.register_workflow_def(WorkflowDef.from_dict({
            "name": name, "version": 1, "ownerEmail": "test@harness.com",
            "tasks": [{"name": "integration_task_1", "taskReferenceName": "t1"}], **extra}), overwrite=True)
        assert c.workflow_def(name)["schemaVersion"] == 2


@not_implemented("restart", "restart_workflow")
@pytest.mark.parametrize("latest", [False, True], ids=["same_definition", "latest_definition"])
def test_simple_workflow_restart(conductor, latest):
    """SimpleWorkflowSpec 'Test Simple workflow restart without/with using the latest definition'."""
    c = conductor
    c.register("simple_workflow_1_integration_test.json")
    c.task_def("integration_task_1", retry_count=0)
    assert c.workflow_def("integration_test_wf")["failureWorkflow"]
    wf_id = c.start("integration_test_wf", P, 1, "integration_test_1")
    c.fail("integration_task_1", "failed..")
    assert c.wf(wf_id).status == "FAILED" and c.types(wf_id) == seq("integration_task_1:FAILED")
    if latest:
        definition = c.workflow_def("integration_test_wf")
        definition["tasks"].append({"name": "integration_task_20", "taskReferenceName": "task_added",
                                    "type": "SIMPLE"})
        definition["version"] = 2
        c.api.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
    c.api.restart_workflow(wf_id, latest)
    assert c.wf(wf_id).status == "RUNNING"
    c.complete("integration_task_1")
    assert c.wf(wf_id).status == "RUNNING" and c.types(wf_id)[0] == ("integration_task_1", "COMPLETED")
    c.complete("integration_task_2")
    if latest:
        assert c.wf(wf_id).status == "RUNNING"
        assert c.complete("integration_task_20").reference_task_name == "task_added"
        assert len(c.wf(wf_id).tasks) == 3
    assert c.wf(wf_id).status == "COMPLETED"


def test_simple_workflow_with_task_retries(conductor):
    """SimpleWorkflowSpec 'Test simple workflow with task retries' (integration_task_2: 3 retries, 2 s apart)."""
    c = conductor
    c.register("simple_workflow_1_integration_test.json")
    c.task_def("integration_task_2", retry_count=3, retry_delay_seconds=2)
    wf_id = c.start("integration_test_wf", P, 1, "integration_test_1")
    t1 = c.poll("integration_task_1", wait_ms=1000)
    assert t1.input_data["p1"] == "p1 value" and t1.input_data["p2"] == "p2 value"
    op = f"task1.output -> {t1.input_data['p1']}.{t1.input_data['p2']}"
    c.update(t1, "COMPLETED", {"op": op})
    for attempt in range(2):
        failed = c.fail("integration_task_2", "failure...0")
        assert failed.input_data["tp2"] == op and failed.input_data["tp1"] == "p1 value"
        assert c.poll("integration_task_2") is None  # the retry waits retryDelaySeconds
        c.advance(2)
    done = c.complete("integration_task_2")
    assert done.input_data["tp2"] == op and done.input_data["tp1"] == "p1 value"
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "integration_task_2:FAILED",
                                 "integration_task_2:FAILED", "integration_task_2:COMPLETED")
    assert wf.tasks[1].task_id == wf.tasks[2].retried_task_id and wf.tasks[2].task_id == wf.tasks[3].retried_task_id
    assert set(wf.failed_reference_task_names) == {"t2"} and set(wf.failed_task_names) == {"integration_task_2"}


@not_implemented("retry", "retry_workflow")
def test_simple_workflow_with_retry_at_workflow_level(conductor):
    """SimpleWorkflowSpec 'Test simple workflow with retry at workflow level'."""
    c = conductor
    c.register("simple_workflow_1_integration_test.json")
    c.task_def("integration_task_1", retry_count=1, retry_delay_seconds=0)
    wf_id = c.start("integration_test_wf", P, 1, "retry_test")
    wf = c.wf(wf_id)
    assert c.types(wf_id) == seq("integration_task_1:SCHEDULED") and wf.tasks[0].input_data["p3"] == wf.tasks[0].task_id
    c.fail("integration_task_1", "failure...0")
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING" and c.types(wf_id) == seq("integration_task_1:FAILED", "integration_task_1:SCHEDULED")
    assert wf.tasks[1].input_data["p3"] == wf.tasks[1].task_id
    c.fail("integration_task_1", "failure...0")
    assert c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq("integration_task_1:FAILED", "integration_task_1:FAILED")
    c.api.retry_workflow(wf_id, False)
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING" and [t.status for t in wf.tasks] == ["FAILED", "FAILED", "SCHEDULED"]
    assert wf.tasks[2].input_data["p3"] == wf.tasks[2].task_id
    c.complete("integration_task_1")
    assert [t.status for t in c.wf(wf_id).tasks] == ["FAILED", "FAILED", "COMPLETED", "SCHEDULED"]
    c.complete("integration_task_2")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and set(wf.failed_reference_task_names) == {"t1"}


def test_long_running_simple_workflow(conductor):
    """SimpleWorkflowSpec 'Test Long running simple workflow': IN_PROGRESS with callbackAfterSeconds 5."""
    c = conductor
    c.register("simple_workflow_1_integration_test.json")
    wf_id = c.start("integration_test_wf", P, 1, "integration_test_1")
    task = c.poll("integration_task_1", wait_ms=1000)
    assert task.input_data["p1"] == "p1 value" and "p2" in task.input_data
    c.update(task, "IN_PROGRESS", {"op": "task1.in.progress"}, callback_after_seconds=5)
    assert c.poll("integration_task_1") is None
    c.advance(5)
    c.complete("integration_task_1", {"op": "task1.done"})
    wf = c.wf(wf_id)
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "integration_task_2:SCHEDULED")
    assert wf.tasks[0].output_data["op"] == "task1.done"
    polled = c.complete("integration_task_2")
    assert polled.input_data["tp2"] == "task1.done" and polled.input_data["tp1"] == "p1 value"
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "integration_task_2:COMPLETED")


@not_implemented("restart", "restart_workflow")
def test_non_restartable_simple_workflow(conductor):
    """SimpleWorkflowSpec 'Test non restartable simple workflow': a COMPLETED restartable=false workflow
    cannot be restarted (NotFoundException)."""
    c = conductor
    c.register("simple_workflow_1_integration_test.json")
    c.task_def("integration_task_1", retry_count=0)
    definition = c.workflow_def("integration_test_wf")
    definition.update(name="integration_test_wf_non_restartable", restartable=False)
    c.api.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
    wf_id = c.start("integration_test_wf_non_restartable", P, 1, "integration_test_1")
    c.fail("integration_task_1", "failure...0")
    assert c.wf(wf_id).status == "FAILED" and c.types(wf_id) == seq("integration_task_1:FAILED")
    c.api.restart_workflow(wf_id, False)
    c.complete("integration_task_1", {"op": "task1.done"})
    c.complete("integration_task_2")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and wf.output["o3"] == "task1.done"
    with pytest.raises(NotFoundError):
        c.api.restart_workflow(wf_id, False)


# ================================================================================ DecisionTaskSpec / SwitchTaskSpec
# The two specs run the same scenarios on the legacy DECISION (caseValueParam, output caseOutput) and on
# SWITCH (value-param, output evaluationResult).
DECISION_FILES = {
    "DECISION": ("simple_decision_task_integration_test.json", "DecisionWorkflow",
                 "decision_and_fork_join_integration_test.json", "conditional_task_workflow_integration_test.json",
                 "caseOutput"),
    "SWITCH": ("simple_switch_task_integration_test.json", "SwitchWorkflow",
               "switch_and_fork_join_integration_test.json", "conditional_switch_task_workflow_integration_test.json",
               "evaluationResult"),
}


@pytest.mark.parametrize("kind", ["DECISION", "SWITCH"])
def test_simple_decision_or_switch_workflow(conductor, kind):
    """DecisionTaskSpec 'Test simple decision workflow' / SwitchTaskSpec 'Test simple switch workflow'."""
    c = conductor
    simple, name, *_ = DECISION_FILES[kind]
    c.register(simple)
    wf_id = c.start(name, {"param1": "p1", "param2": "p2", "case": "c"}, 1, "decision_workflow")
    assert c.types(wf_id) == seq(f"{kind}:COMPLETED", "integration_task_1:SCHEDULED")
    c.complete("integration_task_1")
    assert c.types(wf_id) == seq(f"{kind}:COMPLETED", "integration_task_1:COMPLETED", "integration_task_2:SCHEDULED")
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id)[2:] == seq("integration_task_2:COMPLETED", "integration_task_20:SCHEDULED")
    c.complete("integration_task_20")
    assert c.wf(wf_id).status == "COMPLETED" and len(c.wf(wf_id).tasks) == 4


@pytest.mark.parametrize("kind", ["DECISION", "SWITCH"])
def test_decision_or_switch_leading_to_a_fork_join(conductor, kind):
    """DecisionTaskSpec / SwitchTaskSpec 'Test a workflow that has a decision/switch task that leads to a fork
    join' (ForkConditionalTest)."""
    c = conductor
    _, _, fork_file, *_ = DECISION_FILES[kind]
    c.register(fork_file)
    wf_id = c.start("ForkConditionalTest", {"param1": "p1", "param2": "p2", "case": "c"}, 1, "decision_forkjoin")
    assert c.types(wf_id) == seq("FORK:COMPLETED", f"{kind}:COMPLETED", "integration_task_1:SCHEDULED",
                                 "integration_task_10:SCHEDULED", "JOIN:IN_PROGRESS")
    c.complete("integration_task_1")
    c.complete("integration_task_10")
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING" and len(wf.tasks) == 6
    assert wf.tasks[4].input_data["joinOn"] == ["t20", "t10"]
    assert c.types(wf_id)[2:] == seq("integration_task_1:COMPLETED", "integration_task_10:COMPLETED",
                                     "JOIN:IN_PROGRESS", "integration_task_2:SCHEDULED")
    c.complete("integration_task_2")
    assert c.types(wf_id)[4:] == seq("JOIN:IN_PROGRESS", "integration_task_2:COMPLETED",
                                     "integration_task_20:SCHEDULED")
    c.complete("integration_task_20")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and len(wf.tasks) == 7
    assert wf.tasks[4].status == "COMPLETED" and wf.tasks[6].status == "COMPLETED"


@pytest.mark.parametrize("kind", ["DECISION", "SWITCH"])
def test_default_case_of_a_conditional_workflow(conductor, kind):
    """DecisionTaskSpec / SwitchTaskSpec 'Test default case condition execution of a conditional workflow'."""
    c = conductor
    *_, cond_file, out = DECISION_FILES[kind]
    c.register(cond_file)
    wf_id = c.start("ConditionalTaskWF", {"param1": "xxx", "param2": "two"}, 1, "conditional_default")
    wf = c.wf(wf_id)
    assert c.types(wf_id) == seq(f"{kind}:COMPLETED", "integration_task_10:SCHEDULED")
    assert wf.tasks[0].output_data[out] == ["xxx"]
    c.complete("integration_task_10")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED"
    assert c.types(wf_id) == seq(f"{kind}:COMPLETED", "integration_task_10:COMPLETED", f"{kind}:COMPLETED")
    assert wf.tasks[2].output_data[out] == ["null"]


@pytest.mark.parametrize("kind", ["DECISION", "SWITCH"])
@pytest.mark.parametrize("case_value, expected_task", [("two", "integration_task_2"), ("one", "integration_task_1")])
def test_nested_case_of_a_conditional_workflow(conductor, kind, case_value, expected_task):
    """DecisionTaskSpec / SwitchTaskSpec "Test case 'nested' and '#caseValue' condition execution"."""
    c = conductor
    *_, cond_file, out = DECISION_FILES[kind]
    c.register(cond_file)
    wf_id = c.start("ConditionalTaskWF", {"param1": "nested", "param2": case_value}, 1,
                    f"conditional_nested_{case_value}")
    wf = c.wf(wf_id)
    assert c.types(wf_id) == seq(f"{kind}:COMPLETED", f"{kind}:COMPLETED", f"{expected_task}:SCHEDULED")
    assert wf.tasks[0].output_data[out] == ["nested"] and wf.tasks[1].output_data[out] == [case_value]
    c.complete(expected_task, worker="task.integration.worker")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and len(wf.tasks) == 4
    assert c.types(wf_id)[2:] == seq(f"{expected_task}:COMPLETED", f"{kind}:COMPLETED")
    assert wf.tasks[3].output_data[out] == ["null"]


@pytest.mark.parametrize("kind", ["DECISION", "SWITCH"])
def test_three_case_of_a_conditional_workflow(conductor, kind):
    """DecisionTaskSpec / SwitchTaskSpec "Test 'three' case condition execution of a conditional workflow"."""
    c = conductor
    *_, cond_file, out = DECISION_FILES[kind]
    c.register(cond_file)
    wf_id = c.start("ConditionalTaskWF", {"param1": "three", "param2": "two", "finalCase": "notify"}, 1,
                    "conditional_three")
    assert c.types(wf_id) == seq(f"{kind}:COMPLETED", "integration_task_3:SCHEDULED")
    assert c.wf(wf_id).tasks[0].output_data[out] == ["three"]
    c.complete("integration_task_3")
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING"
    assert c.types(wf_id) == seq(f"{kind}:COMPLETED", "integration_task_3:COMPLETED", f"{kind}:COMPLETED",
                                 "integration_task_4:SCHEDULED")
    assert wf.tasks[2].output_data[out] == ["notify"]
    c.complete("integration_task_4")
    assert c.wf(wf_id).status == "COMPLETED" and c.types(wf_id)[3] == ("integration_task_4", "COMPLETED")


# ============================================================================================= ForkJoinSpec
def test_fork_join_success_flow(conductor):
    """ForkJoinSpec 'Test a simple workflow with fork join success flow' (FanInOutTest)."""
    c = conductor
    c.register("fork_join_integration_test.json")
    wf_id = c.start("FanInOutTest", {}, 1, "fanoutTest")
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_1:SCHEDULED", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS")
    c.complete("integration_task_1", worker="task1.worker")
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_1:COMPLETED", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS", "integration_task_3:SCHEDULED")
    c.complete("integration_task_3", worker="task1.worker")
    assert c.types(wf_id)[2:] == seq("integration_task_2:SCHEDULED", "JOIN:IN_PROGRESS",
                                     "integration_task_3:COMPLETED")
    c.complete("integration_task_2", worker="task1.worker")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id)[2:] == seq("integration_task_2:COMPLETED", "JOIN:COMPLETED", "integration_task_3:COMPLETED",
                                     "integration_task_4:SCHEDULED")
    c.complete("integration_task_4", worker="task1.worker")
    assert c.wf(wf_id).status == "COMPLETED" and c.types(wf_id)[5] == ("integration_task_4", "COMPLETED")


def test_fork_join_failure_flow(conductor):
    """ForkJoinSpec 'Test a simple workflow with fork join failure flow' (integration_task_2 without retries)."""
    c = conductor
    c.register("fork_join_integration_test.json")
    c.task_def("integration_task_2", retry_count=0, timeout_seconds=0)
    wf_id = c.start("FanInOutTest", {}, 1, "fanoutTest")
    c.complete("integration_task_1", worker="task1.worker")
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_1:COMPLETED", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS", "integration_task_3:SCHEDULED")
    c.fail("integration_task_2", "Failed....", worker="task1.worker")
    assert c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_1:COMPLETED", "integration_task_2:FAILED",
                                 "JOIN:CANCELED", "integration_task_3:CANCELED")


@not_implemented("retry", "retry_workflow")
def test_retrying_a_failed_fork_join_workflow(conductor):
    """ForkJoinSpec 'Test retrying a failed fork join workflow' (FanInOutTest_2, tasks without retries)."""
    c = conductor
    c.register("fork_join_with_no_task_retry_integration_test.json")
    wf_id = c.start("FanInOutTest_2", {}, 1, "fanoutTest")
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_0_RT_1:SCHEDULED",
                                 "integration_task_0_RT_2:SCHEDULED", "JOIN:IN_PROGRESS")
    c.complete("integration_task_0_RT_1", worker="task1.worker")
    c.fail("integration_task_0_RT_2", "Failed....", worker="task1.worker")
    assert c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_0_RT_1:COMPLETED",
                                 "integration_task_0_RT_2:FAILED", "JOIN:CANCELED", "integration_task_0_RT_3:CANCELED")
    c.api.retry_workflow(wf_id, False)
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_0_RT_1:COMPLETED",
                                 "integration_task_0_RT_2:FAILED", "JOIN:IN_PROGRESS",
                                 "integration_task_0_RT_3:CANCELED", "integration_task_0_RT_2:SCHEDULED",
                                 "integration_task_0_RT_3:SCHEDULED")
    c.complete("integration_task_0_RT_3", worker="task1.worker")
    c.complete("integration_task_0_RT_2", worker="task1.worker")
    c.complete("integration_task_0_RT_4", worker="task1.worker")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_0_RT_1:COMPLETED",
                                 "integration_task_0_RT_2:FAILED", "JOIN:COMPLETED",
                                 "integration_task_0_RT_3:CANCELED", "integration_task_0_RT_2:COMPLETED",
                                 "integration_task_0_RT_3:COMPLETED", "integration_task_0_RT_4:COMPLETED")


NESTED_START = ["fork1:COMPLETED", "t11:SCHEDULED", "fork2:COMPLETED", "t12:SCHEDULED", "t13:SCHEDULED"]


def test_nested_fork_join_success_flow(conductor):
    """ForkJoinSpec 'Test nested fork join workflow success flow' (FanInOutNestedTest, case a). The task order is
    the current suite's (ForkJoinTest.java): a fork schedules its JOIN after its branches, so the inner join2
    comes before the outer join1 (the older Groovy spec had join1 first)."""
    c = conductor
    c.register("nested_fork_join_integration_test.json")
    wf_id = c.start("FanInOutNestedTest", {"case": "a"}, 1, "fork_join_nested_test")
    wf = c.wf(wf_id)
    assert c.refs(wf_id) == seq(*NESTED_START, "join2:IN_PROGRESS", "join1:IN_PROGRESS")
    assert wf.tasks[5].input_data["joinOn"] == ["t14", "t20"] and wf.tasks[6].input_data["joinOn"] == ["t11", "join2"]
    for n in (11, 12, 13):
        c.complete(f"integration_task_{n}", worker=f"task{n}.worker")
    assert c.refs(wf_id)[7:] == seq("t14:SCHEDULED", "d1:COMPLETED", "t16:SCHEDULED")
    c.complete("integration_task_16")
    c.complete("integration_task_14")
    assert c.refs(wf_id)[5:] == seq("join2:IN_PROGRESS", "join1:IN_PROGRESS", "t14:COMPLETED", "d1:COMPLETED",
                                    "t16:COMPLETED", "t19:SCHEDULED")
    c.complete("integration_task_19")
    assert c.refs(wf_id)[10:] == seq("t19:COMPLETED", "t20:SCHEDULED")
    c.complete("integration_task_20")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.refs(wf_id)[5:7] == seq("join2:COMPLETED", "join1:COMPLETED")
    assert c.refs(wf_id)[11:] == seq("t20:COMPLETED", "t15:SCHEDULED")
    c.complete("integration_task_15")
    assert c.wf(wf_id).status == "COMPLETED" and len(c.wf(wf_id).tasks) == 13


def test_nested_fork_join_with_a_sub_workflow(conductor):
    """ForkJoinSpec 'Test nested workflow which contains a sub workflow task' (FanInOutNestedSubWorkflowTest),
    in the current suite's task order (ForkJoinTest.java: join2, sw1, join1)."""
    c = conductor
    c.register("nested_fork_join_with_sub_workflow_integration_test.json", "simple_workflow_1_integration_test.json")
    wf_id = c.start("FanInOutNestedSubWorkflowTest", {"case": "a"}, 1, "fork_join_nested_test")
    wf = c.wf(wf_id)
    # the spec sees sw1 SCHEDULED until it runs the async SUB_WORKFLOW task; the engine starts it at once
    assert c.refs(wf_id) == seq(*NESTED_START, "join2:IN_PROGRESS", "sw1:IN_PROGRESS", "join1:IN_PROGRESS")
    assert wf.tasks[5].input_data["joinOn"] == ["t14", "t20"]
    assert wf.tasks[7].input_data["joinOn"] == ["t11", "join2", "sw1"]
    for n in (11, 12, 13):
        c.complete(f"integration_task_{n}")
    assert c.refs(wf_id)[8:] == seq("t14:SCHEDULED", "d1:COMPLETED", "t16:SCHEDULED")
    c.complete("integration_task_16")
    c.complete("integration_task_14")
    sub_id = c.task(wf_id, "sw1").sub_workflow_id
    assert c.wf(sub_id).status == "RUNNING" and c.types(sub_id) == seq("integration_task_1:SCHEDULED")
    c.complete("integration_task_1")
    c.complete("integration_task_2")
    assert c.wf(sub_id).status == "COMPLETED"
    assert c.refs(wf_id)[5:8] == seq("join2:IN_PROGRESS", "sw1:COMPLETED", "join1:IN_PROGRESS")
    assert c.refs(wf_id)[11] == ("t19", "SCHEDULED")
    c.complete("integration_task_19")
    assert c.refs(wf_id)[11:] == seq("t19:COMPLETED", "t20:SCHEDULED")
    c.complete("integration_task_20")
    assert c.refs(wf_id)[5:8] == seq("join2:COMPLETED", "sw1:COMPLETED", "join1:COMPLETED")
    assert c.refs(wf_id)[12:] == seq("t20:COMPLETED", "t15:SCHEDULED")
    c.complete("integration_task_15")
    assert c.wf(wf_id).status == "COMPLETED" and len(c.wf(wf_id).tasks) == 14


def test_fork_join_with_optional_sub_workflow_forks(conductor):
    """ForkJoinSpec 'Test fork join with sub workflows containing optional tasks': both children fail, the
    optional SUB_WORKFLOW tasks and the JOIN end COMPLETED_WITH_ERRORS and the workflow COMPLETED."""
    c = conductor
    c.register("fork_join_with_optional_sub_workflow_forks_integration_test.json",
               "simple_one_task_sub_workflow_integration_test.json")
    wf_id = c.start("integration_test_fork_join_optional_sw", P, 1, "")
    wf = c.wf(wf_id)
    assert c.types(wf_id) == seq("FORK:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS", "SUB_WORKFLOW:IN_PROGRESS",
                                 "JOIN:IN_PROGRESS")
    assert wf.tasks[3].input_data["joinOn"] == ["st1", "st2"]
    children = [c.task(wf_id, ref).sub_workflow_id for ref in ("st1", "st2")]
    for child in children:
        assert c.wf(child).status == "RUNNING" and c.types(child) == seq("simple_task_in_sub_wf:SCHEDULED")
    c.fail("simple_task_in_sub_wf", "Failed....", worker="task1.worker")
    c.fail("simple_task_in_sub_wf", "Failed....", worker="task1.worker")
    for child in children:
        assert c.wf(child).status == "FAILED" and c.types(child) == seq("simple_task_in_sub_wf:FAILED")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "SUB_WORKFLOW:COMPLETED_WITH_ERRORS",
                                 "SUB_WORKFLOW:COMPLETED_WITH_ERRORS", "JOIN:COMPLETED_WITH_ERRORS")


def test_rerun_of_a_failed_optional_sub_workflow_leaves_the_parent_alone(conductor):
    """ForkJoinSpec 'Test fork join with sub workflows containing optional tasks', its rerun step."""
    from conductor_nb import RerunWorkflowRequest

    c = conductor
    c.register("fork_join_with_optional_sub_workflow_forks_integration_test.json",
               "simple_one_task_sub_workflow_integration_test.json")
    wf_id = c.start("integration_test_fork_join_optional_sw", P, 1, "")
    child = c.task(wf_id, "st1").sub_workflow_id
    c.fail("simple_task_in_sub_wf", "Failed....")
    c.fail("simple_task_in_sub_wf", "Failed....")
    assert c.wf(wf_id).status == "COMPLETED"
    c.api.rerun_workflow(child, RerunWorkflowRequest(re_run_from_workflow_id=child))
    assert c.wf(child).status == "RUNNING" and c.types(child) == seq("simple_task_in_sub_wf:SCHEDULED")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "SUB_WORKFLOW:COMPLETED_WITH_ERRORS",
                                 "SUB_WORKFLOW:COMPLETED_WITH_ERRORS", "JOIN:COMPLETED_WITH_ERRORS")


def test_fork_join_with_a_sub_workflow_task_using_its_task_definition(conductor):
    """ForkJoinSpec 'Test fork join with sub workflow task using task definition': the SUB_WORKFLOW task named
    sub_workflow_task takes retryCount 1 from its TaskDef, so a failed child is retried once."""
    c = conductor
    c.register("fork_join_sub_workflow.json", "simple_one_task_sub_workflow_integration_test.json")
    wf_id = c.start("integration_test_fork_join_sw", P, 1, "")
    wf = c.wf(wf_id)
    assert c.types(wf_id) == seq("FORK:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS")
    assert wf.tasks[3].input_data["joinOn"] == ["st1", "t2"]
    child = c.task(wf_id, "st1").sub_workflow_id
    assert c.types(child) == seq("simple_task_in_sub_wf:SCHEDULED")
    c.fail("simple_task_in_sub_wf", "Failed....", worker="task1.worker")
    assert c.wf(child).status == "FAILED"
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "SUB_WORKFLOW:FAILED", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS", "SUB_WORKFLOW:IN_PROGRESS")
    retried_child = c.task(wf_id, "st1").sub_workflow_id
    assert retried_child != child and c.types(retried_child) == seq("simple_task_in_sub_wf:SCHEDULED")
    c.complete("simple_task_in_sub_wf", worker="subworkflow.task.worker")
    assert c.wf(retried_child).status == "COMPLETED"
    assert c.types(wf_id)[4] == ("SUB_WORKFLOW", "COMPLETED") and c.wf(wf_id).status == "RUNNING"
    c.complete("integration_task_2", worker="task2.worker")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "SUB_WORKFLOW:FAILED", "integration_task_2:COMPLETED",
                                 "JOIN:COMPLETED", "SUB_WORKFLOW:COMPLETED")


# ============================================================================================== DoWhileSpec
DO_WHILE_FILES = ("do_while_integration_test.json", "do_while_multiple_integration_test.json",
                  "do_while_as_subtask_integration_test.json", "simple_one_task_sub_workflow_integration_test.json",
                  "do_while_iteration_fix_test.json", "do_while_sub_workflow_integration_test.json",
                  "do_while_five_loop_over_integration_test.json", "do_while_system_tasks.json",
                  "do_while_with_decision_task.json", "do_while_set_variable_fix.json")


def assert_iteration(task, iteration):
    """DoWhileSpec.verifyTaskIteration."""
    assert task.reference_task_name.endswith(f"__{iteration}") and task.iteration == iteration


def test_do_while_two_iterations_of_five_tasks(conductor):
    """DoWhileSpec 'Test workflow with 2 iterations of five tasks' (LAMBDA, JQ and SIMPLE tasks in the loop)."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("do_while_five_loop_over_integration_test", {"loop": 2}, 1, "looptest")
    loop_1 = ["LAMBDA:COMPLETED", "JSON_JQ_TRANSFORM:COMPLETED", "integration_task_1:COMPLETED",
              "JSON_JQ_TRANSFORM:COMPLETED", "integration_task_2:COMPLETED"]
    assert_iteration(c.complete("integration_task_1"), 1)
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", *loop_1[:3], "JSON_JQ_TRANSFORM:COMPLETED",
                                 "integration_task_2:SCHEDULED")
    assert [t.iteration for t in c.wf(wf_id).tasks[1:4]] == [1, 1, 1]
    assert_iteration(c.complete("integration_task_2"), 1)
    assert_iteration(c.complete("integration_task_1"), 2)
    assert_iteration(c.complete("integration_task_2"), 2)
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING"
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", *loop_1, *loop_1, "integration_task_3:SCHEDULED")
    assert [t.iteration for t in wf.tasks[6:11]] == [2] * 5 and wf.tasks[11].iteration == 0
    c.complete("integration_task_3")
    assert c.wf(wf_id).status == "COMPLETED" and c.types(wf_id)[11] == ("integration_task_3", "COMPLETED")


def test_do_while_two_iterations_of_three_system_tasks(conductor):
    """DoWhileSpec 'Test workflow with 2 iterations of 3 system tasks'."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("do_while_system_tasks", {"loop": 2}, 1, "looptest")
    c.settle(wf_id)
    loop = ["LAMBDA:COMPLETED", "JSON_JQ_TRANSFORM:COMPLETED", "JSON_JQ_TRANSFORM:COMPLETED"]
    wf = c.wait(wf_id, lambda wf: len(wf.tasks) == 8)
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", *loop, *loop, "integration_task_1:SCHEDULED")
    assert [t.iteration for t in wf.tasks] == [2, 1, 1, 1, 2, 2, 2, 0]
    c.complete("integration_task_1")
    assert c.wf(wf_id).status == "COMPLETED" and len(c.wf(wf_id).tasks) == 8


LOOP_WITH_FORK = ["integration_task_0", "FORK", "integration_task_1", "integration_task_2", "JOIN"]


def loop_tasks(*statuses):
    return seq(*(f"{t}:{s}" for t, s in zip(LOOP_WITH_FORK, statuses)))


def test_do_while_single_iteration(conductor):
    """DoWhileSpec 'Test workflow with a single iteration Do While task' (a FORK_JOIN inside the loop)."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("Do_While_Workflow", {"loop": 1}, 1, "looptest")
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", "integration_task_0:SCHEDULED")
    assert_iteration(c.complete("integration_task_0"), 1)
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", *loop_tasks("COMPLETED", "COMPLETED", "SCHEDULED",
                                                                     "SCHEDULED", "IN_PROGRESS"))
    assert c.task(wf_id, "join__1") is not None
    assert_iteration(c.complete("integration_task_1"), 1)
    assert c.types(wf_id)[3:] == seq("integration_task_1:COMPLETED", "integration_task_2:SCHEDULED",
                                     "JOIN:IN_PROGRESS")
    assert_iteration(c.complete("integration_task_2"), 1)
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", *loop_tasks(*["COMPLETED"] * 5))


def test_do_while_single_iteration_with_a_sub_workflow(conductor):
    """DoWhileSpec 'Test workflow with a single iteration Do While task with Sub workflow'."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("Do_While_Sub_Workflow", {"loop": 1}, 1, "looptest")
    c.complete("integration_task_0")
    c.complete("integration_task_1")
    c.complete("integration_task_2")
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", *loop_tasks(*["COMPLETED"] * 5),
                                 "SUB_WORKFLOW:IN_PROGRESS")
    child = c.task(wf_id, "st1__1").sub_workflow_id
    assert c.wf(child).status == "RUNNING" and c.types(child) == seq("simple_task_in_sub_wf:SCHEDULED")
    c.complete("simple_task_in_sub_wf", worker="subworkflow.task.worker")
    assert c.wf(child).status == "COMPLETED"
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", *loop_tasks(*["COMPLETED"] * 5), "SUB_WORKFLOW:COMPLETED")


def test_multiple_do_while_tasks_with_multiple_iterations(conductor):
    """DoWhileSpec 'Test workflow with multiple Do While tasks with multiple iterations'."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("Do_While_Multiple", {"loop": 2, "loop2": 1}, 1, "looptest")
    done = loop_tasks(*["COMPLETED"] * 5)
    c.complete("integration_task_0")
    c.complete("integration_task_1")
    c.complete("integration_task_2")
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", *done, "integration_task_0:SCHEDULED")
    assert_iteration(c.complete("integration_task_0"), 2)
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", *done,
                                 *loop_tasks("COMPLETED", "COMPLETED", "SCHEDULED", "SCHEDULED", "IN_PROGRESS"))
    assert_iteration(c.complete("integration_task_1"), 2)
    assert_iteration(c.complete("integration_task_2"), 2)
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", *done, *done, "DO_WHILE:IN_PROGRESS",
                                 "integration_task_3:SCHEDULED")
    assert_iteration(c.complete("integration_task_3"), 1)
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", *done, *done, "DO_WHILE:COMPLETED",
                                 "integration_task_3:COMPLETED")


def test_retrying_a_failed_do_while_workflow(conductor):
    """DoWhileSpec 'Test retrying a failed do while workflow' (integration_task_0 without retries)."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    c.task_def("integration_task_0", retry_count=0)
    wf_id = c.start("Do_While_Workflow", {"loop": 1}, 1, "looptest")
    assert_iteration(c.fail("integration_task_0", "induced..failure"), 1)
    assert c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq("DO_WHILE:CANCELED", "integration_task_0:FAILED")
    c.api.retry_workflow(wf_id, False)
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", "integration_task_0:FAILED", "integration_task_0:SCHEDULED")
    assert_iteration(c.complete("integration_task_0"), 1)
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", "integration_task_0:FAILED",
                                 *loop_tasks("COMPLETED", "COMPLETED", "SCHEDULED", "SCHEDULED", "IN_PROGRESS"))
    c.complete("integration_task_1")
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", "integration_task_0:FAILED", *loop_tasks(*["COMPLETED"] * 5))


def test_auto_retrying_a_failed_do_while_task(conductor):
    """DoWhileSpec 'Test auto retrying a failed do while workflow' (retryCount 1, no delay)."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    c.task_def("integration_task_0", retry_count=1, retry_delay_seconds=0)
    wf_id = c.start("Do_While_Workflow", {"loop": 1}, 1, "looptest")
    assert_iteration(c.fail("integration_task_0", "induced..failure"), 1)
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING"
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", "integration_task_0:FAILED", "integration_task_0:SCHEDULED")
    assert wf.tasks[1].retried and wf.tasks[2].retry_count == 1 and wf.tasks[2].retried_task_id == wf.tasks[1].task_id
    assert_iteration(c.complete("integration_task_0"), 1)
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", "integration_task_0:FAILED",
                                 *loop_tasks("COMPLETED", "COMPLETED", "SCHEDULED", "SCHEDULED", "IN_PROGRESS"))
    c.complete("integration_task_1")
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", "integration_task_0:FAILED", *loop_tasks(*["COMPLETED"] * 5))


def test_do_while_as_a_subtask_of_a_fork_join(conductor):
    """DoWhileSpec 'Test workflow with a iteration Do While task as subtask of a forkjoin task'."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("Do_While_SubTask", {"loop": 1}, 1, "looptest")
    assert c.types(wf_id) == seq("FORK:COMPLETED", "DO_WHILE:IN_PROGRESS", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS", "integration_task_0:SCHEDULED")
    assert_iteration(c.complete("integration_task_0"), 1)
    assert c.types(wf_id)[4:] == seq("integration_task_0:COMPLETED", "integration_task_1:SCHEDULED")
    assert_iteration(c.complete("integration_task_1"), 1)
    assert c.types(wf_id) == seq("FORK:COMPLETED", "DO_WHILE:COMPLETED", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS", "integration_task_0:COMPLETED", "integration_task_1:COMPLETED")
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "DO_WHILE:COMPLETED", "integration_task_2:COMPLETED",
                                 "JOIN:COMPLETED", "integration_task_0:COMPLETED", "integration_task_1:COMPLETED")


def test_do_while_as_a_subtask_of_a_fork_join_reaches_the_same_end(conductor):
    """DoWhileSpec 'Do While task as subtask of a forkjoin task', order-insensitive."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("Do_While_SubTask", {"loop": 1}, 1, "looptest")
    assert sorted(c.types(wf_id)) == sorted(seq("FORK:COMPLETED", "DO_WHILE:IN_PROGRESS", "JOIN:IN_PROGRESS",
                                                "integration_task_2:SCHEDULED", "integration_task_0:SCHEDULED"))
    c.complete("integration_task_0")
    assert_iteration(c.complete("integration_task_1"), 1)
    assert c.task(wf_id, "loopTask").status == "COMPLETED" and c.task(wf_id, "join").status == "IN_PROGRESS"
    c.complete("integration_task_2")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and len(wf.tasks) == 6 and all(t.status == "COMPLETED" for t in wf.tasks)


def test_do_while_loop_task_using_the_iteration_in_a_script(conductor):
    """DoWhileSpec 'Test workflow with Do While task contains loop over task that use iteration in script
    expression' (`${loopTask['iteration']}` as the LAMBDA's input)."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("Do_While_Workflow_Iteration_Fix", {"loop": 2}, 1, "looptest")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", "LAMBDA:COMPLETED", "LAMBDA:COMPLETED")
    assert [t.output_data["result"] for t in wf.tasks[1:]] == [0, 1]


def test_do_while_with_a_set_variable_task(conductor):
    """DoWhileSpec 'Test workflow with Do While task contains set variable task': the condition reads
    ${workflow.variables.value}, which the loop's SET_VARIABLE sets to "0"."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("do_while_Set_variable_fix", {"value": 2}, 1, "looptest")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", "SET_VARIABLE:COMPLETED")
    assert wf.tasks[1].input_data["value"] == "0"


def test_do_while_with_a_decision_task(conductor):
    """DoWhileSpec 'Test workflow with Do While task contains decision task' (a WAIT in the SWITCH case,
    completed by an update)."""
    c = conductor
    c.register(*DO_WHILE_FILES)
    wf_id = c.start("DO_While_with_Decision_task", {"list": [1, 2]}, 1, "looptest")
    c.wait(wf_id, lambda wf: len(wf.tasks) == 4 or wf.status != "RUNNING", timeout=2)
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", "INLINE:COMPLETED", "SWITCH:COMPLETED", "WAIT:IN_PROGRESS")
    c.update(c.wf(wf_id).tasks[3], "COMPLETED")
    wf = c.wait(wf_id, lambda wf: len(wf.tasks) == 8)
    assert wf.status == "RUNNING" and wf.tasks[0].iteration == 2
    assert c.types(wf_id) == seq("DO_WHILE:IN_PROGRESS", "INLINE:COMPLETED", "SWITCH:COMPLETED", "WAIT:COMPLETED",
                                 "INLINE:COMPLETED", "INLINE:COMPLETED", "SWITCH:COMPLETED", "WAIT:IN_PROGRESS")
    c.update(wf.tasks[7], "COMPLETED")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and wf.tasks[0].iteration == 2
    assert c.types(wf_id) == seq("DO_WHILE:COMPLETED", "INLINE:COMPLETED", "SWITCH:COMPLETED", "WAIT:COMPLETED",
                                 "INLINE:COMPLETED", "INLINE:COMPLETED", "SWITCH:COMPLETED", "WAIT:COMPLETED",
                                 "INLINE:COMPLETED")


# ====================================================================================== DynamicForkJoinSpec
DYNAMIC_TASKS = [{"name": "integration_task_2", "taskReferenceName": "xdt1", "type": "SIMPLE"},
                 {"name": "integration_task_3", "taskReferenceName": "xdt2", "type": "SIMPLE"}]
DYNAMIC_INPUT = {"xdt1": {"k1": "v1"}, "xdt2": {"k2": "v2"}}


def start_dynamic_fork(c, dynamic_tasks=DYNAMIC_TASKS, dynamic_input=DYNAMIC_INPUT):
    c.register("dynamic_fork_join_integration_test.json", "simple_workflow_3_integration_test.json")
    wf_id = c.start("DynamicFanInOutTest", {}, 1, "dynamic_fork_join_workflow")
    assert c.types(wf_id) == seq("integration_task_1:SCHEDULED")
    c.complete("integration_task_1", {"dynamicTasks": dynamic_tasks, "dynamicTasksInput": dynamic_input},
               worker="task1.worker")
    return wf_id


FORKED = ["integration_task_1:COMPLETED", "FORK:COMPLETED"]


def test_dynamic_fork_join_success_flow(conductor):
    """DynamicForkJoinSpec 'Test dynamic fork join success flow'."""
    c = conductor
    wf_id = start_dynamic_fork(c)
    assert c.types(wf_id) == seq(*FORKED, "integration_task_2:SCHEDULED", "integration_task_3:SCHEDULED",
                                 "JOIN:IN_PROGRESS")
    assert c.wf(wf_id).tasks[4].reference_task_name == "dynamicfanouttask_join"
    assert c.complete("integration_task_2", {"ok1": "ov1"}, worker="task2.worker").input_data["k1"] == "v1"
    assert c.complete("integration_task_3", {"ok1": "ov1"}, worker="task3.worker").input_data["k2"] == "v2"
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING"
    assert c.types(wf_id) == seq(*FORKED, "integration_task_2:COMPLETED", "integration_task_3:COMPLETED",
                                 "JOIN:COMPLETED", "integration_task_4:SCHEDULED")
    join = wf.tasks[4]
    assert join.input_data["joinOn"] == ["xdt1", "xdt2"]
    assert join.output_data["xdt1"]["ok1"] == "ov1" and join.output_data["xdt2"]["ok1"] == "ov1"
    c.complete("integration_task_4", worker="task4.worker")
    assert c.wf(wf_id).status == "COMPLETED" and c.types(wf_id)[5] == ("integration_task_4", "COMPLETED")


def test_dynamic_fork_join_failure_of_a_forked_task(conductor):
    """DynamicForkJoinSpec 'Test dynamic fork join failure of dynamic forked task flow'."""
    c = conductor
    c.task_def("integration_task_2", retry_count=0)
    wf_id = start_dynamic_fork(c)
    assert c.fail("integration_task_2", "it is a failure..", worker="task2.worker").input_data["k1"] == "v1"
    wf = c.wf(wf_id)
    assert wf.status == "FAILED"
    assert c.types(wf_id) == seq(*FORKED, "integration_task_2:FAILED", "integration_task_3:CANCELED",
                                 "JOIN:CANCELED")
    assert wf.tasks[4].input_data["joinOn"] == ["xdt1", "xdt2"]


@not_implemented("retry", "retry_workflow")
def test_retry_a_failed_dynamic_fork_join_workflow(conductor):
    """DynamicForkJoinSpec 'Retry a failed dynamic fork join workflow'."""
    c = conductor
    c.task_def("integration_task_2", retry_count=0)
    wf_id = start_dynamic_fork(c)
    c.fail("integration_task_2", "it is a failure..", worker="task2.worker")
    assert c.wf(wf_id).status == "FAILED"
    c.api.retry_workflow(wf_id, False)
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING"
    assert c.types(wf_id) == seq(*FORKED, "integration_task_2:FAILED", "integration_task_3:CANCELED",
                                 "JOIN:IN_PROGRESS", "integration_task_2:SCHEDULED", "integration_task_3:SCHEDULED")
    assert wf.tasks[4].input_data["joinOn"] == ["xdt1", "xdt2"]
    assert c.complete("integration_task_2", {"ok1": "ov1"}).input_data["k1"] == "v1"
    assert c.complete("integration_task_3", {"ok1": "ov1"}).input_data["k2"] == "v2"
    wf = c.wf(wf_id)
    assert c.types(wf_id)[4:] == seq("JOIN:COMPLETED", "integration_task_2:COMPLETED", "integration_task_3:COMPLETED",
                                     "integration_task_4:SCHEDULED")
    assert wf.tasks[4].output_data["xdt1"]["ok1"] == "ov1" and wf.tasks[4].output_data["xdt2"]["ok1"] == "ov1"
    c.complete("integration_task_4")
    assert c.wf(wf_id).status == "COMPLETED" and len(c.wf(wf_id).tasks) == 8


@not_implemented("retry", "retry_workflow")
def test_retry_a_failed_dynamic_fork_join_with_a_forked_sub_workflow(conductor):
    """DynamicForkJoinSpec 'Retry a failed dynamic fork join workflow with forked subworkflow'
    (retry with resumeSubworkflowTasks=true retries inside the failed child)."""
    c = conductor
    c.task_def("integration_task_2", retry_count=0)
    wf_id = start_dynamic_fork(c, [
        {"name": "sub_wf_task", "taskReferenceName": "xdt1", "type": "SUB_WORKFLOW",
         "subWorkflowParam": {"name": "integration_test_wf3", "version": 1}},
        {"name": "integration_task_10", "taskReferenceName": "xdt10", "type": "SIMPLE"}],
        {"xdt1": {"p1": "q1", "p2": "q2"}, "xdt10": {"k2": "v2"}})
    assert c.types(wf_id) == seq(*FORKED, "SUB_WORKFLOW:IN_PROGRESS", "integration_task_10:SCHEDULED",
                                 "JOIN:IN_PROGRESS")
    child = c.wf(wf_id).tasks[2].sub_workflow_id
    assert c.types(child) == seq("integration_task_1:SCHEDULED")
    c.complete("integration_task_10", worker="task10.worker")
    c.complete("integration_task_1", worker="task1.worker")
    assert c.types(child) == seq("integration_task_1:COMPLETED", "integration_task_2:SCHEDULED")
    c.fail("integration_task_2", "failure", worker="task2.worker")
    assert c.wf(child).status == "FAILED" and c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq(*FORKED, "SUB_WORKFLOW:FAILED", "integration_task_10:COMPLETED", "JOIN:CANCELED")
    c.api.retry_workflow(wf_id, True)
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id)[:4] == seq(*FORKED, "SUB_WORKFLOW:IN_PROGRESS", "integration_task_10:COMPLETED")
    assert c.types(child) == seq("integration_task_1:COMPLETED", "integration_task_2:FAILED",
                                 "integration_task_2:SCHEDULED")
    assert c.types(wf_id)[4] == ("JOIN", "IN_PROGRESS")
    c.complete("integration_task_2", worker="task2.worker")
    c.complete("integration_task_3", worker="task3.worker")
    assert c.wf(child).status == "COMPLETED"
    assert c.types(wf_id) == seq(*FORKED, "SUB_WORKFLOW:COMPLETED", "integration_task_10:COMPLETED", "JOIN:COMPLETED",
                                 "integration_task_4:SCHEDULED")
    c.complete("integration_task_4")
    assert c.wf(wf_id).status == "COMPLETED"


# ============================================================================================== EventTaskSpec
def test_event_based_simple_workflow(conductor):
    """EventTaskSpec 'Verify that a event based simple workflow is executed' (EVENT with sink 'conductor')."""
    c = conductor
    c.register("event_workflow_integration_test.json")
    wf_id = c.start("test_event_workflow", {}, 1, "")
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING"
    assert c.types(wf_id) == seq("EVENT:COMPLETED", "integration_task_1:SCHEDULED")
    assert wf.tasks[0].output_data["event_produced"]
    c.complete("integration_task_1", worker="task1.integration.worker")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("EVENT:COMPLETED", "integration_task_1:COMPLETED")


# ========================================================================================= ExclusiveJoinSpec
@pytest.mark.parametrize("decisions, path, joined", [
    ({"decision_1": "null"}, [], "task1"),
    ({"decision_1": "true", "decision_2": "null"}, ["integration_task_2", "DECISION"], "task2"),
    ({"decision_1": "true", "decision_2": "true"}, ["integration_task_2", "DECISION", "integration_task_3"], "task3"),
    ({"decision_1": "false", "decision_3": "null"}, ["integration_task_4", "DECISION"], "task4"),
    ({"decision_1": "false", "decision_3": "true"}, ["integration_task_4", "DECISION", "integration_task_5"], "task5"),
], ids=["default", "true_then_null", "true_then_true", "false_then_default", "false_then_true"])
def test_exclusive_join(conductor, decisions, path, joined):
    """ExclusiveJoinSpec: the five decision paths; the EXCLUSIVE_JOIN outputs the output of the task that ran last
    among joinOn [task3, task5], else defaultExclusiveJoinTask [task2, task4, task1]."""
    c = conductor
    c.register("exclusive_join_integration_test.json")
    wf_id = c.start("ExclusiveJoinTestWorkflow", decisions, 1, "exclusive_join_workflow")
    assert c.types(wf_id) == seq("integration_task_1:SCHEDULED")
    c.complete("integration_task_1", {"taskReferenceName": "task1"})
    for task_type in path:
        if task_type == "DECISION":
            continue
        assert c.wf(wf_id).status == "RUNNING" and c.types(wf_id)[-1] == (task_type, "SCHEDULED")
        c.complete(task_type, {"taskReferenceName": f"task{task_type[-1]}"})
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "DECISION:COMPLETED",
                                 *(f"{t}:COMPLETED" for t in path), "EXCLUSIVE_JOIN:COMPLETED")
    assert wf.tasks[-1].output_data["taskReferenceName"] == joined


# ========================================================================================== FailureWorkflowSpec
FAILURE_FILES = ("failure_workflow_for_terminate_task_workflow.json", "terminate_task_failed_workflow_integration.json",
                 "test_task_failed_parent_workflow.json", "test_task_failed_sub_workflow.json")


def test_failure_workflow_of_a_workflow_failed_by_terminate(conductor):
    """FailureWorkflowSpec 'Test workflow with a task that failed' (TERMINATE with terminationStatus FAILED)."""
    c = conductor
    c.register(*FAILURE_FILES)
    wf_id = c.start("test_terminate_task_failed_wf", {"a": 1}, 1, "testId")
    wf = c.ended(wf_id)
    assert wf.status == "FAILED" and wf.reason_for_incompletion == "Early exit in terminate"
    assert c.types(wf_id) == seq("LAMBDA:COMPLETED", "TERMINATE:COMPLETED")
    assert [t.seq for t in wf.tasks] == [1, 2]
    failure = c.ended(wf.output["conductor.failure_workflow"])
    assert failure.status == "COMPLETED" and failure.correlation_id == "testId"
    assert c.types(failure.workflow_id) == seq("LAMBDA:COMPLETED")
    assert failure.input["workflowId"] == wf_id
    assert failure.input.get("failureTaskId") == wf.tasks[1].task_id


def test_failure_workflow_of_a_workflow_whose_sub_workflow_failed(conductor):
    """FailureWorkflowSpec 'Test workflow with a task failed in subworkflow'."""
    c = conductor
    c.register(*FAILURE_FILES)
    wf_id = c.start("test_task_failed_parent_wf", {"a": 1}, 1, "")
    wf = c.ended(wf_id)
    child = c.ended(wf.get_task(task_reference_name="test_task_failed_sub_wf").sub_workflow_id)
    assert child.status == "FAILED" and "Workflow is FAILED by TERMINATE task" in child.reason_for_incompletion
    assert c.types(child.workflow_id) == seq("LAMBDA:COMPLETED", "TERMINATE:COMPLETED")
    assert [t.seq for t in child.tasks] == [1, 2]
    assert wf.status == "FAILED"
    assert c.refs(wf_id) == seq("lambdaTask1:COMPLETED", "test_task_failed_sub_wf:FAILED")
    assert [t.seq for t in wf.tasks] == [1, 2]
    failure = c.ended(wf.output["conductor.failure_workflow"])
    assert failure.status == "COMPLETED" and failure.correlation_id == wf.correlation_id
    assert failure.input["workflowId"] == wf_id and failure.input["failureTaskId"] == wf.tasks[1].task_id
    assert c.types(failure.workflow_id) == seq("LAMBDA:COMPLETED")


# ================================================================================= LambdaAndTerminateTaskSpec
TERMINATE_FILES = ("failure_workflow_for_terminate_task_workflow.json",
                   "terminate_task_completed_workflow_integration_test.json",
                   "terminate_task_failed_workflow_integration.json", "simple_lambda_workflow_integration_test.json",
                   "terminate_task_parent_workflow.json", "terminate_task_sub_workflow.json",
                   "decision_and_terminate_integration_test.json")


def test_terminate_task_with_status_completed(conductor):
    """LambdaAndTerminateTaskSpec 'Test workflow with a terminate task when the status is completed': the
    workflow output is the TERMINATE task's workflowOutput (the LAMBDA's output)."""
    c = conductor
    c.register(*TERMINATE_FILES)
    wf_id = c.start("test_terminate_task_wf", {"a": 1}, 1, "")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and "Workflow is COMPLETED by TERMINATE task" in wf.reason_for_incompletion
    assert c.types(wf_id) == seq("LAMBDA:COMPLETED", "TERMINATE:COMPLETED") and [t.seq for t in wf.tasks] == [1, 2]
    assert wf.output == {"result": {"testvalue": True}}


def test_terminate_task_with_status_failed(conductor):
    """LambdaAndTerminateTaskSpec 'Test workflow with a terminate task when the status is failed'."""
    c = conductor
    c.register(*TERMINATE_FILES)
    wf_id = c.start("test_terminate_task_failed_wf", {"a": 1}, 1, "")
    wf = c.ended(wf_id)
    assert wf.status == "FAILED" and wf.reason_for_incompletion == "Early exit in terminate"
    assert c.types(wf_id) == seq("LAMBDA:COMPLETED", "TERMINATE:COMPLETED") and [t.seq for t in wf.tasks] == [1, 2]
    failure = c.ended(wf.output["conductor.failure_workflow"])
    assert failure.status == "COMPLETED" and failure.input["workflowId"] == wf_id
    assert c.types(failure.workflow_id) == seq("LAMBDA:COMPLETED")


def test_terminate_task_in_a_workflow_with_a_sub_workflow(conductor):
    """LambdaAndTerminateTaskSpec 'Test workflow with a terminate task when the workflow has a subworkflow': the
    TERMINATE in one fork branch completes the workflow, cancels the JOIN and the SUB_WORKFLOW in the other branch,
    and terminates the child. The LAMBDAs run on the engine's threads, so the order in which the tasks after them
    are scheduled (SUB_WORKFLOW, WAIT) is not fixed: compared as a set."""
    c = conductor
    c.register(*TERMINATE_FILES)
    wf_id = c.start("test_terminate_task_parent_wf", {"a": 1}, 1, "")
    wf = c.wait(wf_id, lambda wf: len(wf.tasks) == 6)
    assert wf.status == "RUNNING"
    assert c.refs(wf_id)[:2] == seq("forkx:COMPLETED", "lambdaTask1:COMPLETED")
    assert sorted(c.refs(wf_id)) == sorted(seq("forkx:COMPLETED", "lambdaTask1:COMPLETED", "lambdaTask2:COMPLETED",
                                               "thejoin:IN_PROGRESS", "test_terminate_subworkflow:IN_PROGRESS",
                                               "basicJavaA:IN_PROGRESS"))
    assert sorted(t.seq for t in wf.tasks) == [1, 2, 3, 4, 5, 6]
    child = wf.get_task(task_reference_name="test_terminate_subworkflow").sub_workflow_id
    assert c.wf(child).status == "RUNNING" and c.types(child) == seq("integration_task_3:SCHEDULED")
    c.complete_ref(wf_id, "basicJavaA")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and "Workflow is COMPLETED by TERMINATE task" in wf.reason_for_incompletion
    assert sorted(c.refs(wf_id)) == sorted(seq("forkx:COMPLETED", "lambdaTask1:COMPLETED", "lambdaTask2:COMPLETED",
                                               "thejoin:CANCELED", "test_terminate_subworkflow:CANCELED",
                                               "basicJavaA:COMPLETED", "terminate0:COMPLETED"))
    assert wf.tasks[6].reference_task_name == "terminate0" and wf.tasks[6].seq == 7
    assert c.wf(child).status == "TERMINATED" and c.types(child) == seq("integration_task_3:CANCELED")


def test_terminate_task_terminates_the_child_with_the_parents_reason(conductor):
    """LambdaAndTerminateTaskSpec 'Test workflow with a terminate task when the workflow has a subworkflow', the
    child's reasonForIncompletion."""
    c = conductor
    c.register(*TERMINATE_FILES)
    wf_id = c.start("test_terminate_task_parent_wf", {"a": 1}, 1, "")
    c.wait(wf_id, lambda wf: len(wf.tasks) == 6)
    child = c.task(wf_id, "test_terminate_subworkflow").sub_workflow_id
    c.complete_ref(wf_id, "basicJavaA")
    assert "Parent workflow has been terminated with reason: Workflow is COMPLETED by TERMINATE task" in \
        c.wf(child).reason_for_incompletion


@pytest.mark.parametrize("kind, file", [("DECISION", "decision_and_terminate_integration_test.json"),
                                        ("SWITCH", "switch_and_terminate_integration_test.json")])
def test_terminate_task_within_a_decision_branch(conductor, kind, file):
    """LambdaAndTerminateTaskSpec 'Test workflow with a terminate task within a decision branch' (and the same
    definition with a SWITCH, switch_and_terminate_integration_test.json)."""
    c = conductor
    c.register(file)
    wf_id = c.start("ConditionalTerminateWorkflow", {"param1": "p1", "param2": "p2", "case": "two"}, 1, "")
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING" and c.types(wf_id) == seq("integration_task_1:SCHEDULED") and wf.tasks[0].seq == 1
    c.complete("integration_task_1", {"op": "task1 completed"})
    wf = c.wf(wf_id)
    assert wf.status == "FAILED" and "Workflow is FAILED by TERMINATE task" in wf.reason_for_incompletion
    assert wf.output == {"output": "task1 completed"}
    assert [t.seq for t in wf.tasks] == [1, 2, 3] and wf.tasks[0].output_data["op"] == "task1 completed"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", f"{kind}:COMPLETED", "TERMINATE:COMPLETED")


@pytest.mark.parametrize("kind, file", [("DECISION", "decision_and_terminate_integration_test.json"),
                                        ("SWITCH", "switch_and_terminate_integration_test.json")])
def test_decision_and_terminate_other_case_runs_to_the_end(conductor, kind, file):
    """ConditionalTerminateWorkflow, case 'one': no TERMINATE; t2 then t3 run and outputParameters o2 = t3's op."""
    c = conductor
    c.register(file)
    wf_id = c.start("ConditionalTerminateWorkflow", {"param1": "p1", "param2": "p2", "case": "one"}, 1, "")
    c.complete("integration_task_1", {"op": "task1 completed"})
    assert c.complete("integration_task_2").input_data["tp21"] == "p1"
    assert c.complete("integration_task_3", {"op": "t3 done"}).input_data["tp31"] == "p2"
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and wf.output == {"o2": "t3 done"}
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", f"{kind}:COMPLETED", "integration_task_2:COMPLETED",
                                 "integration_task_3:COMPLETED")


def test_lambda_task(conductor):
    """LambdaAndTerminateTaskSpec 'Test workflow with lambda task'."""
    c = conductor
    c.register(*TERMINATE_FILES)
    wf_id = c.start("test_lambda_wf", {"a": 1}, 1, "")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and c.types(wf_id) == seq("LAMBDA:COMPLETED") and wf.tasks[0].seq == 1
    assert wf.tasks[0].output_data == {"result": {"testvalue": True}}


# ======================================================================================== JsonJQTransformSpec
JQ_FILES = ("simple_json_jq_transform_integration_test.json", "sequential_json_jq_transform_integration_test.json",
            "json_jq_transform_result_integration_test.json")


def test_json_jq_transform_succeeds(conductor):
    """JsonJQTransformSpec 'Test workflow with json jq transform task succeeds'."""
    c = conductor
    c.register(*JQ_FILES)
    wf_id = c.start("test_json_jq_transform_wf", {"in1": {"array": ["a", "b"]}, "in2": {"array": ["c", "d"]}}, 1, "")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and c.types(wf_id) == seq("JSON_JQ_TRANSFORM:COMPLETED")
    assert "result" in wf.tasks[0].output_data and "resultList" in wf.tasks[0].output_data
    assert wf.tasks[0].output_data["result"] == {"out": ["a", "b", "c", "d"]}


def test_json_jq_transform_fails(conductor):
    """JsonJQTransformSpec 'Test workflow with json jq transform task fails' (in1 is a string)."""
    c = conductor
    c.register(*JQ_FILES)
    wf_id = c.start("test_json_jq_transform_wf", {"in1": "a", "in2": "b"}, 1, "")
    wf = c.ended(wf_id)
    assert wf.status == "FAILED" and c.types(wf_id) == seq("JSON_JQ_TRANSFORM:FAILED")
    assert "Cannot index string with string" in wf.tasks[0].reason_for_incompletion


@engine_bug("a jq error's reasonForIncompletion is 'Cannot index string with string (\"array\")'; Conductor's "
            "(jackson-jq) is 'Cannot index string with string \"array\"'")
def test_json_jq_transform_failure_reason_text(conductor):
    """JsonJQTransformSpec 'Test workflow with json jq transform task fails': the exact reasonForIncompletion."""
    c = conductor
    c.register(*JQ_FILES)
    wf_id = c.start("test_json_jq_transform_wf", {"in1": "a", "in2": "b"}, 1, "")
    assert c.ended(wf_id).tasks[0].reason_for_incompletion == 'Cannot index string with string "array"'


@not_implemented("rerun", "rerun_workflow")
def test_rerun_of_a_failed_json_jq_transform_task(conductor):
    """JsonJQTransformSpec 'Test rerun workflow with failed json jq transform task' (rerun from the task with
    a new taskInput)."""
    from conductor_nb import RerunWorkflowRequest

    c = conductor
    c.register(*JQ_FILES)
    wf_id = c.start("test_json_jq_transform_wf", {"in1": "a", "in2": "b"}, 1, "")
    wf = c.ended(wf_id)
    assert wf.status == "FAILED"
    valid = {"input": {"in1": {"array": ["a", "b"]}, "in2": {"array": ["c", "d"]}},
             "queryExpression": ".input as $_ | { out: ($_.in1.array + $_.in2.array) }"}
    c.api.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_workflow_id=wf_id,
                                                     re_run_from_task_id=wf.tasks[0].task_id, task_input=valid))
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and c.types(wf_id) == seq("JSON_JQ_TRANSFORM:COMPLETED")
    output = wf.tasks[0].output_data
    assert output["result"] == {"out": ["a", "b", "c", "d"]} and "resultList" in output


def test_json_jq_transform_with_a_nested_json_object(conductor):
    """JsonJQTransformSpec 'Test json jq transform task with nested json object succeeds' (the second task's
    queryExpression is the first one's result)."""
    c = conductor
    c.register(*JQ_FILES)
    workflow_input = {"method": "POST", "body": {"name": "Beary Beariston", "title": "the Brown Bear"},
                      "requestTransform": '{name: (.body.name + " you are " + .body.title) }',
                      "responseTransform": '{result: "reply: " + .response.body.message}'}
    wf_id = c.start("sequential_json_jq_transform_wf", workflow_input, 1, "")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert c.types(wf_id) == seq("JSON_JQ_TRANSFORM:COMPLETED", "JSON_JQ_TRANSFORM:COMPLETED")
    first = wf.tasks[0].output_data["result"]
    assert "resultList" in wf.tasks[0].output_data
    assert first["method"] == "POST" and first["requestTransform"] == workflow_input["requestTransform"]
    assert first["responseTransform"] == workflow_input["responseTransform"]
    assert wf.tasks[1].output_data["result"]["name"] == "Beary Beariston you are the Brown Bear"


def test_json_jq_transform_with_different_json_object_results(conductor):
    """JsonJQTransformSpec 'Test json jq transform task with different json object results succeeds' (jq results
    feed two DECISIONs; the HTTP task in the 'false' case is not reached)."""
    c = conductor
    c.register(*JQ_FILES)
    wf_id = c.start("json_jq_transform_result_wf", {"requestedAction": "redeliver"}, 1, "")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert c.types(wf_id) == seq("JSON_JQ_TRANSFORM:COMPLETED", "DECISION:COMPLETED", "JSON_JQ_TRANSFORM:COMPLETED",
                                 "DECISION:COMPLETED")
    assert wf.tasks[0].output_data["result"] == "CREATE" and "resultList" in wf.tasks[0].output_data
    assert wf.tasks[1].input_data["case"] == "CREATE"
    assert len(wf.tasks[2].output_data["result"]) == 3 and "redeliver" in wf.tasks[2].output_data["result"]
    assert wf.tasks[3].input_data["case"] == "true"


# ========================================================================================= SetVariableTaskSpec
def test_set_variable_task(conductor):
    """SetVariableTaskSpec 'Test workflow with set variable task'."""
    c = conductor
    c.register("simple_set_variable_workflow_integration_test.json")
    wf_id = c.start("test_set_variable_wf", {"var": "var_test_value"}, 1, "")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and c.types(wf_id) == seq("SET_VARIABLE:COMPLETED")
    assert wf.variables == {"var": "var_test_value"} and wf.output == {"variables": {"var": "var_test_value"}}


BIG_VALUE = "01234567" * (1 + 256 * 1024 // 8)  # just over Conductor's default 256 KB variables limit


def test_set_variable_task_over_the_payload_size_threshold(conductor):
    """SetVariableTaskSpec 'Test workflow with set variable task passing variables payload size threshold'. The
    spec's server is configured with a 2 KB limit; this runs against the default, 256 KB."""
    c = conductor
    c.register("simple_set_variable_workflow_integration_test.json")
    wf_id = c.start("test_set_variable_wf", {"var": BIG_VALUE}, 1, "")
    wf = c.wf(wf_id)
    assert wf.status == "FAILED" and c.types(wf_id) == seq("SET_VARIABLE:FAILED_WITH_TERMINAL_ERROR")
    assert wf.variables == {}


def test_set_variable_task_over_the_threshold_names_the_limit_in_kilobytes(conductor):
    """SetVariableTaskSpec 'passing variables payload size threshold': the reasonForIncompletion."""
    c = conductor
    c.register("simple_set_variable_workflow_integration_test.json")
    wf_id = c.start("test_set_variable_wf", {"var": BIG_VALUE}, 1, "")
    reason = c.wf(wf_id).tasks[0].reason_for_incompletion
    assert reason.startswith("The variables payload size: ")
    assert reason.endswith(f" of workflow: {wf_id} is greater than the permissible limit: 256 kilobytes")




def test_set_variable_task_over_the_threshold_still_outputs_the_variables(conductor):
    """SetVariableTaskSpec 'passing variables payload size threshold': output == [variables:[:]]."""
    c = conductor
    c.register("simple_set_variable_workflow_integration_test.json")
    wf_id = c.start("test_set_variable_wf", {"var": BIG_VALUE}, 1, "")
    assert c.wf(wf_id).output == {"variables": {}}


# ============================================================================================== SignalTaskSpec
SIGNAL_FILES = ("wait_workflow_integration_test.json", "signal_sub_wf_child_integration_test.json",
                "signal_sub_wf_parent_integration_test.json")


def test_signal_completes_a_blocked_wait_task(conductor):
    """SignalTaskSpec 'Signal completes a blocked WAIT task and advances the workflow'."""
    c = conductor
    c.register(*SIGNAL_FILES)
    wf_id = c.start("test_wait_workflow", {}, 1, "")
    assert c.wf(wf_id).status == "RUNNING" and c.types(wf_id) == seq("WAIT:IN_PROGRESS")
    c.api.signal_workflow_task(wf_id, "COMPLETED", {"result": "done"})
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING" and c.types(wf_id) == seq("WAIT:COMPLETED", "integration_task_1:SCHEDULED")
    assert wf.tasks[0].output_data == {"result": "done"}


@pytest.mark.parametrize("case", ["wait_already_completed", "no_such_workflow"])
def test_signal_with_nothing_blocked_is_a_no_op(conductor, case):
    """SignalTaskSpec 'Signal on a workflow with no blocking task returns null' and 'Signal on a non-existent
    workflow returns null'."""
    c = conductor
    c.register(*SIGNAL_FILES)
    if case == "no_such_workflow":
        wf_id = "non-existent-wf-id"
    else:
        wf_id = c.start("test_wait_workflow", {}, 1, "")
        c.complete_ref(wf_id, "wait0")
    c.api.signal_workflow_task(wf_id, "COMPLETED", {})


def test_signal_descends_into_a_sub_workflow(conductor):
    """SignalTaskSpec 'Signal descends into a sub-workflow to complete its blocked WAIT task'."""
    c = conductor
    c.register(*SIGNAL_FILES)
    parent = c.start("signal_sub_wf_parent", {}, 1, "")
    assert c.types(parent) == seq("SUB_WORKFLOW:IN_PROGRESS")
    child = c.wf(parent).tasks[0].sub_workflow_id
    assert c.wf(child).status == "RUNNING" and c.types(child) == seq("WAIT:IN_PROGRESS")
    c.api.signal_workflow_task(parent, "COMPLETED", {"result": "sub-done"})
    assert c.types(child) == seq("WAIT:COMPLETED") and c.wf(child).status == "COMPLETED"
    assert c.wf(parent).status == "COMPLETED"


# ============================================================================================ StartWorkflowSpec
START_CASES = {
    "name_and_version": {"startWorkflow": {"name": "integration_test_wf",
                                           "input": {"param1": "value1", "param2": "value2"}}},
    "workflow_definition": {"startWorkflow": {"name": "dynamic_wf", "workflowDef": {
        "name": "dynamic_wf", "version": 1, "ownerEmail": "abc@abc.com", "tasks": [
            {"name": "integration_task_1", "taskReferenceName": "t1", "type": "SIMPLE",
             "inputParameters": {"tp1": "${workflow.input.param1}", "tp2": "${workflow.input.param2}",
                                 "tp3": "${CPEWF_TASK_ID}"}},
            {"name": "integration_task_2", "taskReferenceName": "t2", "type": "SIMPLE",
             "inputParameters": {"tp1": "${workflow.input.param1}", "tp2": "${t1.output.op}",
                                 "tp3": "${CPEWF_TASK_ID}"}}]}}},
    # the spec reads this one from external payload storage; here it is the workflow input itself
    "start_workflow_input_json": load(HARNESS / "start_workflow_input.json"),
}


@pytest.mark.parametrize("case", list(START_CASES))
def test_start_another_workflow(conductor, case):
    """StartWorkflowSpec 'start another workflow using #testCase.name': START_WORKFLOW completes at once and the
    started workflow runs on its own."""
    c = conductor
    c.register("workflow_that_starts_another_workflow.json", "simple_workflow_1_integration_test.json")
    wf_id = c.start("workflow_that_starts_another_workflow", START_CASES[case], 1, "corr-1")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and c.types(wf_id) == seq("START_WORKFLOW:COMPLETED")
    started = c.wf(wf.tasks[0].output_data["workflowId"])
    assert started.status == "RUNNING" and started.input is not None
    assert started.input == START_CASES[case]["startWorkflow"].get("input", {})


def test_started_workflow_inherits_the_correlation_id(conductor):
    """StartWorkflowSpec 'start another workflow': the started workflow's correlationId is the starter's."""
    c = conductor
    c.register("workflow_that_starts_another_workflow.json", "simple_workflow_1_integration_test.json")
    wf_id = c.start("workflow_that_starts_another_workflow", START_CASES["name_and_version"], 1, "corr-1")
    assert c.wf(c.wf(wf_id).tasks[0].output_data["workflowId"]).correlation_id == "corr-1"


def test_start_workflow_input_that_is_not_a_start_workflow_request(conductor):
    """StartWorkflowSpec 'start_workflow does not conform to StartWorkflowRequest'."""
    c = conductor
    c.register("workflow_that_starts_another_workflow.json", "simple_workflow_1_integration_test.json")
    wf_id = c.start("workflow_that_starts_another_workflow",
                    {"start_workflow": {"param1": "value1", "param2": "value2"}}, 1)
    wf = c.wf(wf_id)
    assert wf.status == "FAILED" and c.types(wf_id) == seq("START_WORKFLOW:FAILED")
    assert wf.tasks[0].reason_for_incompletion


# =========================================================================================== SubWorkflowSpec
SUB_WF_FILES = ("simple_one_task_sub_workflow_integration_test.json", "simple_workflow_1_integration_test.json",
                "workflow_with_sub_workflow_1_integration_test.json")


def test_terminating_a_sub_workflow_terminates_the_parent(conductor):
    """SubWorkflowSpec 'Test terminating a subworkflow terminates parent workflow' (SubWorkflowTest.java passes
    subwf=sub_workflow; the parent's reason contains the child's)."""
    c = conductor
    c.register(*SUB_WF_FILES)
    wf_id = c.start("integration_test_wf_with_sub_wf", {**P, "subwf": "sub_workflow"}, 1, "wf_with_subwf_test_1")
    assert c.types(wf_id) == seq("integration_task_1:SCHEDULED")
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS")
    child = c.wf(wf_id).tasks[1].sub_workflow_id
    assert c.wf(child).status == "RUNNING" and c.types(child) == seq("simple_task_in_sub_wf:SCHEDULED")
    c.api.terminate_workflow(child, reason="terminating from a test case")
    child_wf = c.wf(child)
    assert child_wf.status == "TERMINATED" and child_wf.reason_for_incompletion == "terminating from a test case"
    assert c.types(child) == seq("simple_task_in_sub_wf:CANCELED")
    wf = c.wf(wf_id)
    assert wf.status == "TERMINATED" and "terminating from a test case" in wf.reason_for_incompletion
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:CANCELED")


@not_implemented("retry", "retry_workflow")
def test_retrying_a_workflow_with_sub_workflow_resume(conductor):
    """SubWorkflowTest.java 'Test retrying a workflow with subworkflow resume' (retry with
    resumeSubworkflowTasks=true retries the failed task inside the child)."""
    c = conductor
    c.register(*SUB_WF_FILES)
    c.task_def("integration_task_2", retry_count=0)
    wf_id = c.start("integration_test_wf_with_sub_wf", {**P, "subwf": "integration_test_wf"}, 1, "resume")
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS")
    child = c.wf(wf_id).tasks[1].sub_workflow_id
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.types(child) == seq("integration_task_1:COMPLETED", "integration_task_2:SCHEDULED")
    c.fail("integration_task_2", "failed")
    assert c.wf(child).status == "FAILED" and c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:FAILED")
    c.api.retry_workflow(wf_id, True)
    assert c.wf(child).status == "RUNNING"
    assert c.types(child) == seq("integration_task_1:COMPLETED", "integration_task_2:FAILED",
                                 "integration_task_2:SCHEDULED")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS")
    c.complete("integration_task_2", {"op": "task2.done"})
    assert c.wf(child).status == "COMPLETED" and c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:COMPLETED")


def test_retrying_a_sub_workflow_whose_parent_timed_out(conductor):
    """SubWorkflowSpec 'Test retrying a subworkflow where parent workflow timed out due to workflowTimeout'."""
    c = conductor
    c.register(*SUB_WF_FILES)
    definition = c.workflow_def("integration_test_wf_with_sub_wf")
    definition.update(timeoutPolicy="TIME_OUT_WF", timeoutSeconds=10)
    c.api.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
    wf_id = c.start("integration_test_wf_with_sub_wf", {**P, "subwf": "sub_workflow"}, 1, "wf_with_subwf_test_1")
    c.complete("integration_task_1", {"op": "task1.done"})
    child = c.wf(wf_id).tasks[1].sub_workflow_id
    assert c.after(11, wf_id, lambda wf: wf.status in TERMINAL).status == "TIMED_OUT"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:CANCELED")
    assert c.wf(child).status == "TERMINATED" and c.types(child) == seq("simple_task_in_sub_wf:CANCELED")
    c.api.retry_workflow(child, False)
    # give the timer thread its chance: the reopened parent must not time out again
    assert c.wait(wf_id, lambda wf: wf.status != "RUNNING", timeout=1.0).status == "RUNNING"
    assert c.types(child) == seq("simple_task_in_sub_wf:CANCELED", "simple_task_in_sub_wf:SCHEDULED")
    assert c.types(wf_id)[1] == ("SUB_WORKFLOW", "IN_PROGRESS")
    c.complete("simple_task_in_sub_wf", {"op": "simple_task_in_sub_wf.done"})
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and wf.output["op"] == "simple_task_in_sub_wf.done"


def test_workflow_with_an_inline_sub_workflow_definition(conductor):
    """WorkflowWithInlineSubWorkflow (ExternalPayloadStorageSpec's inline sub-workflow flow, with ordinary
    payloads): the child one_task_workflow comes from subWorkflowParam.workflowDefinition."""
    c = conductor
    c.register("simple_workflow_with_sub_workflow_inline_def_integration_test.json")
    wf_id = c.start("WorkflowWithInlineSubWorkflow", P, 1, "inline")
    c.complete("integration_task_1", {"op": "t1.done", "imageType": "png"})
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS")
    child = c.wf(c.wf(wf_id).tasks[1].sub_workflow_id)
    assert child.workflow_name == "one_task_workflow" and child.input == {"op": "t1.done", "imageType": "png"}
    assert c.complete("integration_task_3", {"op": "t3.done"}).input_data == {"p1": "png"}
    assert c.wf(child.workflow_id).output == {"op": "t3.done"}
    assert c.task(wf_id, "swt").output_data["op"] == "t3.done"
    assert c.complete("integration_task_2").input_data == {"op": "t1.done"}
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and wf.output == {"o3": "t1.done"}
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:COMPLETED",
                                 "integration_task_2:COMPLETED")


# ======================================================================= NestedForkJoinSubWorkflowSpec
def start_nested_fork_join_swf(c):
    """NestedForkJoinSubWorkflowTest.java setup: the sub workflow fails, so both JOINs and the root fail."""
    c.register("nested_fork_join_swf.json", "simple_workflow_1_integration_test.json")
    c.task_def("integration_task_2", retry_count=0)
    wf_id = c.start("nested_fork_join_swf", {**P, "subwf": "integration_test_wf"}, 1, "retry_on_root_in_3level_wf")
    assert c.types(wf_id) == seq("FORK:COMPLETED", "FORK:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS",
                                 "integration_task_2:SCHEDULED", "JOIN:IN_PROGRESS", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS")
    child = c.wf(wf_id).tasks[2].sub_workflow_id
    assert c.types(child) == seq("integration_task_1:SCHEDULED")
    c.complete("integration_task_2", {"op": "task1.done"})
    c.complete("integration_task_2", {"op": "task1.done"})
    assert [s for _, s in c.types(wf_id)] == ["COMPLETED", "COMPLETED", "IN_PROGRESS", "COMPLETED", "IN_PROGRESS",
                                              "COMPLETED", "IN_PROGRESS"]
    c.complete("integration_task_1", {"op": "task1.done"})
    c.fail("integration_task_2", "task2 failed")
    assert c.wf(child).status == "FAILED"
    assert c.types(child) == seq("integration_task_1:COMPLETED", "integration_task_2:FAILED")
    assert c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "FORK:COMPLETED", "SUB_WORKFLOW:FAILED",
                                 "integration_task_2:COMPLETED", "JOIN:CANCELED", "integration_task_2:COMPLETED",
                                 "JOIN:CANCELED")
    return wf_id, child


def test_nested_fork_join_sub_workflow_failure(conductor):
    """NestedForkJoinSubWorkflowSpec's setup: a failed task in the sub workflow fails both JOINs and the root."""
    start_nested_fork_join_swf(conductor)


@not_implemented("restart", "restart_workflow")
def test_restart_of_the_sub_workflow_in_a_nested_fork_join(conductor):
    """NestedForkJoinSubWorkflowSpec 'test restart on the sub workflow in a nested fork join workflow': the
    restarted child reopens the parent's SUB_WORKFLOW task and JOINs; its completion completes the root."""
    c = conductor
    wf_id, child = start_nested_fork_join_swf(c)
    c.api.restart_workflow(child, False)
    assert c.wf(child).status == "RUNNING" and c.types(child) == seq("integration_task_1:SCHEDULED")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "FORK:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS",
                                 "integration_task_2:COMPLETED", "JOIN:IN_PROGRESS", "integration_task_2:COMPLETED",
                                 "JOIN:IN_PROGRESS")
    c.complete("integration_task_1", {"op": "task1.done"})
    c.complete("integration_task_2", {"op": "task2.done"})
    assert c.wf(child).status == "COMPLETED"
    assert c.wf(wf_id).status == "COMPLETED"
    assert [s for _, s in c.types(wf_id)] == ["COMPLETED"] * 7


# ================================================================== HierarchicalForkJoinSubworkflow*Spec
def start_hierarchy(c):
    """HierarchicalForkJoinSubworkflowRetryTest.java setup: root -> mid -> leaf (integration_test_wf); the leaf's
    integration_task_2 fails, and the failure climbs to the root."""
    c.register("hierarchical_fork_join_swf.json", "simple_workflow_1_integration_test.json")
    c.task_def("integration_task_2", retry_count=0)
    root = c.start("hierarchical_fork_join_swf", {**P, "subwf": "hierarchical_fork_join_swf",
                                                  "nextSubwf": "integration_test_wf"}, 1, "retry_on_root_in_3level_wf")
    fork = ["FORK:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS"]
    assert c.types(root) == seq(*fork, "integration_task_2:SCHEDULED", "JOIN:IN_PROGRESS")
    mid = c.wf(root).tasks[1].sub_workflow_id
    c.complete("integration_task_2", {"op": "task2.done"})
    c.complete("integration_task_2", {"op": "task2.done"})
    assert c.types(mid) == seq(*fork, "integration_task_2:COMPLETED", "JOIN:IN_PROGRESS")
    leaf = c.wf(mid).tasks[1].sub_workflow_id
    assert c.types(leaf) == seq("integration_task_1:SCHEDULED")
    c.complete("integration_task_1", {"op": "task1.done"})
    c.fail("integration_task_2", "failed")
    assert c.wf(leaf).status == "FAILED"
    for wf_id in (mid, root):
        assert c.wf(wf_id).status == "FAILED"
        assert c.types(wf_id) == seq("FORK:COMPLETED", "SUB_WORKFLOW:FAILED", "integration_task_2:COMPLETED",
                                     "JOIN:CANCELED")
    return root, mid, leaf


def test_three_level_sub_workflow_failure_climbs_to_the_root(conductor):
    """HierarchicalForkJoinSubworkflow{Retry,Restart,Rerun}Spec's common setup."""
    start_hierarchy(conductor)


@not_implemented("retry", "retry_workflow")
def test_retry_on_the_root_of_a_three_level_sub_workflow(conductor):
    """HierarchicalForkJoinSubworkflowRetrySpec 'Test retry on the root in a 3-level subworkflow': the root spawns
    a NEW mid-level workflow, which spawns a NEW leaf; their completion completes all three."""
    c = conductor
    root, mid, leaf = start_hierarchy(c)
    c.api.retry_workflow(root, False)
    wf = c.wf(root)
    assert wf.status == "RUNNING"
    assert c.types(root) == seq("FORK:COMPLETED", "SUB_WORKFLOW:FAILED", "integration_task_2:COMPLETED",
                                "JOIN:IN_PROGRESS", "SUB_WORKFLOW:IN_PROGRESS")
    assert wf.tasks[1].retried and wf.tasks[4].retried_task_id == wf.tasks[1].task_id
    new_mid = wf.tasks[4].sub_workflow_id
    assert new_mid != mid
    assert c.types(new_mid) == seq("FORK:COMPLETED", "SUB_WORKFLOW:IN_PROGRESS", "integration_task_2:SCHEDULED",
                                   "JOIN:IN_PROGRESS")
    new_leaf = c.wf(new_mid).tasks[1].sub_workflow_id
    assert new_leaf != leaf
    c.complete("integration_task_2", {"op": "task2.done"})
    c.complete("integration_task_1", {"op": "task1.done"})
    c.complete("integration_task_2", {"op": "task2.done"})
    for wf_id in (new_leaf, new_mid, root):
        assert c.wf(wf_id).status == "COMPLETED"


@not_implemented("retry", "retry_workflow")
def test_retry_on_the_root_with_resume_of_a_three_level_sub_workflow(conductor):
    """HierarchicalForkJoinSubworkflowRetrySpec, retry on the root with resumeSubworkflowTasks=true: the failed
    task is retried inside the same leaf, and mid and root resume."""
    c = conductor
    root, mid, leaf = start_hierarchy(c)
    c.api.retry_workflow(root, True)
    assert c.types(leaf) == seq("integration_task_1:COMPLETED", "integration_task_2:FAILED",
                                "integration_task_2:SCHEDULED")
    for wf_id in (leaf, mid, root):
        assert c.wf(wf_id).status == "RUNNING"
    assert c.types(root)[1] == ("SUB_WORKFLOW", "IN_PROGRESS") and c.types(mid)[1] == ("SUB_WORKFLOW", "IN_PROGRESS")
    c.complete("integration_task_2", {"op": "task2.done"})
    for wf_id in (leaf, mid, root):
        assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(root) == seq("FORK:COMPLETED", "SUB_WORKFLOW:COMPLETED", "integration_task_2:COMPLETED",
                                "JOIN:COMPLETED")


# ============================================================================ permissive fork joins (ForkJoinTest.java)
def test_fork_join_permissive_failure_flow(conductor):
    """ForkJoinTest.java 'Test a simple workflow with fork join permissive failure flow' (FanInOutPermissiveTest):
    a permissive branch failure waits for the other branch, then the JOIN and the workflow fail."""
    c = conductor
    c.register("fork_join_permissive_integration_test.json")
    c.task_def("integration_task_1", retry_count=0, timeout_seconds=0)
    wf_id = c.start("FanInOutPermissiveTest", {}, 1, "fanoutTest")
    wf = c.wf(wf_id)
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_1:SCHEDULED", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS")
    assert wf.tasks[1].workflow_task.permissive and wf.tasks[2].workflow_task.permissive
    c.fail("integration_task_1", "Failed...", worker="task1.worker")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_1:FAILED", "integration_task_2:SCHEDULED",
                                 "JOIN:IN_PROGRESS")
    c.complete("integration_task_2", worker="task1.worker")
    assert c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_task_1:FAILED", "integration_task_2:COMPLETED",
                                 "JOIN:FAILED")


def start_permissive_fork_without_retries(c):
    c.register("fork_join_with_no_permissive_task_retry_integration_test.json")
    wf_id = c.start("FanInOutPermissiveTest_2", {}, 1, "fanoutTest")
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_p_task_0_RT_1:SCHEDULED",
                                 "integration_p_task_0_RT_2:SCHEDULED", "JOIN:IN_PROGRESS")
    c.complete("integration_p_task_0_RT_1", worker="task1.worker")
    c.fail("integration_p_task_0_RT_2", "Failed....", worker="task1.worker")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_p_task_0_RT_1:COMPLETED",
                                 "integration_p_task_0_RT_2:FAILED", "JOIN:IN_PROGRESS",
                                 "integration_p_task_0_RT_3:SCHEDULED")
    c.fail("integration_p_task_0_RT_3", "Failed....", worker="task1.worker")
    assert c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_p_task_0_RT_1:COMPLETED",
                                 "integration_p_task_0_RT_2:FAILED", "JOIN:FAILED", "integration_p_task_0_RT_3:FAILED")
    return wf_id


def test_permissive_fork_join_with_inline_task_definitions_fails_after_all_branches(conductor):
    """ForkJoinTest.java 'Test retrying a failed permissive fork join workflow', up to the failure
    (FanInOutPermissiveTest_2: permissive tasks with inline taskDefinitions, retryCount 0)."""
    start_permissive_fork_without_retries(conductor)


def test_retrying_a_failed_permissive_fork_join_workflow(conductor):
    """ForkJoinTest.java 'Test retrying a failed permissive fork join workflow'."""
    c = conductor
    wf_id = start_permissive_fork_without_retries(c)
    c.api.retry_workflow(wf_id, False)
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_p_task_0_RT_1:COMPLETED",
                                 "integration_p_task_0_RT_2:FAILED", "JOIN:IN_PROGRESS",
                                 "integration_p_task_0_RT_3:FAILED", "integration_p_task_0_RT_2:SCHEDULED",
                                 "integration_p_task_0_RT_3:SCHEDULED")
    c.complete("integration_p_task_0_RT_3")
    c.complete("integration_p_task_0_RT_2")
    c.complete("integration_p_task_0_RT_4")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "integration_p_task_0_RT_1:COMPLETED",
                                 "integration_p_task_0_RT_2:FAILED", "JOIN:COMPLETED",
                                 "integration_p_task_0_RT_3:FAILED", "integration_p_task_0_RT_2:COMPLETED",
                                 "integration_p_task_0_RT_3:COMPLETED", "integration_p_task_0_RT_4:COMPLETED")


def test_fork_join_with_permissive_sub_workflow_forks(conductor):
    """integration_test_fork_join_permissive_sw (no scenario in the suite; derived from the JOIN rules of
    conductor-semantics.md): two permissive SUB_WORKFLOW branches whose children fail; the JOIN waits for both,
    then fails, and so does the workflow."""
    c = conductor
    c.register("fork_join_with_permissive_sub_workflow_forks_integration_test.json",
               "simple_one_task_sub_workflow_integration_test.json")
    wf_id = c.start("integration_test_fork_join_permissive_sw", P, 1, "")
    c.fail("simple_task_in_sub_wf", "Failed....")
    assert c.wf(wf_id).status == "RUNNING" and c.types(wf_id)[3] == ("JOIN", "IN_PROGRESS")
    c.fail("simple_task_in_sub_wf", "Failed....")
    assert c.wf(wf_id).status == "FAILED"
    assert c.types(wf_id) == seq("FORK:COMPLETED", "SUB_WORKFLOW:FAILED", "SUB_WORKFLOW:FAILED", "JOIN:FAILED")


# ============================================================================== joinMode SYNC (derived)
def test_fork_join_sync_mode(conductor):
    """ForkJoinSyncModeTest (JOIN with joinMode SYNC, issue #619; its scenario is not in the corpus's suite, so
    this is derived from the JOIN rules): the JOIN gathers the three branch outputs, which feed the next task and
    the workflow output."""
    c = conductor
    c.register("fork_join_sync_mode_integration_test.json")
    wf_id = c.start("ForkJoinSyncModeTest", {"param1": "v"}, 1)
    for n, branch in ((1, "a"), (2, "b"), (3, "c")):
        assert c.complete(f"integration_task_{n}", {"branch": branch}).input_data == {"p1": "v"}
    polled = c.complete("integration_task_4")
    assert polled.input_data == {"branchAResult": {"branch": "a"}, "branchBResult": {"branch": "b"},
                                 "branchCResult": {"branch": "c"}}
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED"
    assert wf.output == {"branchAOutput": {"branch": "a"}, "branchBOutput": {"branch": "b"},
                         "branchCOutput": {"branch": "c"}}
    assert c.refs(wf_id) == seq("forkTask:COMPLETED", "branch_a:COMPLETED", "branch_b:COMPLETED",
                                "branch_c:COMPLETED", "joinTask:COMPLETED", "postJoinTask:COMPLETED")


def test_fork_join_sync_mode_nested(conductor):
    """ForkJoinSyncNestedTest (derived): an inner SYNC fork/join inside an outer one."""
    c = conductor
    c.register("fork_join_sync_nested_integration_test.json")
    wf_id = c.start("ForkJoinSyncNestedTest", {}, 1)
    assert c.refs(wf_id) == seq("outer_fork:COMPLETED", "inner_fork:COMPLETED", "inner_a:SCHEDULED",
                                "inner_b:SCHEDULED", "inner_join:IN_PROGRESS", "outer_c:SCHEDULED",
                                "outer_join:IN_PROGRESS")
    for n in (1, 2, 3, 4):
        c.complete(f"integration_task_{n}", {"n": n})
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and all(t.status == "COMPLETED" for t in wf.tasks)
    assert c.task(wf_id, "outer_join").output_data == {"inner_join": {"inner_a": {"n": 1}, "inner_b": {"n": 2}},
                                                       "outer_c": {"n": 3}}


def test_fork_join_sync_mode_with_a_failed_optional_branch(conductor):
    """ForkJoinSyncOptionalFailTest (derived): the optional branch fails without retries; it and the JOIN end
    COMPLETED_WITH_ERRORS and the workflow goes on to postJoinTask."""
    c = conductor
    c.register("fork_join_sync_optional_fail_integration_test.json")
    c.task_def("integration_task_2", retry_count=0)
    wf_id = c.start("ForkJoinSyncOptionalFailTest", {}, 1)
    c.fail("integration_task_2", "Intentionally failed for test")
    c.complete("integration_task_1")
    c.complete("integration_task_3")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.refs(wf_id) == seq("forkTask:COMPLETED", "branch_required:COMPLETED",
                                "branch_optional:COMPLETED_WITH_ERRORS", "joinTask:COMPLETED_WITH_ERRORS",
                                "postJoinTask:COMPLETED")


# ============================================================================ SwitchTaskSpec (Java): no default
def test_switch_with_no_default_case(conductor):
    """SwitchTaskTest.java 'Test switch with no default case workflow': no 'case' input, no default: the SWITCH
    completes and the workflow moves on."""
    c = conductor
    c.register("switch_with_no_default_case_integration_test.json")
    wf_id = c.start("SwitchWithNoDefaultCaseWF", {"param1": "p1", "param2": "p2"}, 1, "switch_no_default_workflow")
    assert c.types(wf_id) == seq("SWITCH:COMPLETED", "integration_task_2:SCHEDULED")
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("SWITCH:COMPLETED", "integration_task_2:COMPLETED")


# ============================================================================== DoWhileSpec (Java): 500 LAMBDAs
# Each LAMBDA runs in the engine's script sandbox (about 45 ms an iteration here), so the suite's 500 iterations
# take some 20 s: set CONDUCTOR_NB_SLOW_TESTS=1 to run them; by default the loop runs 50 times.
HIGH_ITERATIONS = 500 if os.environ.get("CONDUCTOR_NB_SLOW_TESTS") else 50


def test_do_while_with_many_lambda_iterations(conductor):
    """DoWhileTest.java 'Test DO_WHILE with 500 LAMBDA iterations completes without StackOverflowError'."""
    c = conductor
    n = HIGH_ITERATIONS
    c.register(*DO_WHILE_FILES, "do_while_high_iteration_test.json")
    wf_id = c.start("do_while_high_iteration_test", {"loop": n}, 1, "overflow-regression")
    wf = c.ended(wf_id, timeout=120)
    assert wf.status == "COMPLETED" and len(wf.tasks) == n + 1
    assert (wf.tasks[0].task_type, wf.tasks[0].status, wf.tasks[0].iteration) == ("DO_WHILE", "COMPLETED", n)
    assert (wf.tasks[1].task_type, wf.tasks[1].iteration) == ("LAMBDA", 1)
    assert (wf.tasks[n].task_type, wf.tasks[n].status, wf.tasks[n].iteration) == ("LAMBDA", "COMPLETED", n)


# ============================================================================================ SystemTaskSpec
def test_system_task_with_async_complete(conductor):
    """SystemTaskSpec 'Test system task with asyncComplete set to true'. USER_TASK is a system task the test
    harness defines for itself; conductor_nb treats an unknown type as a worker task, so a worker takes it
    (IN_PROGRESS, as the harness's execute does) and an external update completes it."""
    c = conductor
    c.register("simple_workflow_with_async_complete_system_task_integration_test.json")
    wf_id = c.start("async_complete_integration_test_wf", P, 1, "async_complete_test")
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "USER_TASK:SCHEDULED")
    user_task = c.poll("USER_TASK", wait_ms=1000)
    assert user_task.input_data == {"input": "task1.done"}
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "USER_TASK:IN_PROGRESS")
    c.complete_ref(wf_id, "user_task", {"op": "user.task.done"})
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and c.types(wf_id) == seq("integration_task_1:COMPLETED", "USER_TASK:COMPLETED")
    assert wf.output["o3"] == "task1.done"


def test_conditional_system_workflow(conductor):
    """ConditionalSystemWorkflow (ExternalPayloadStorageSpec, without external storage): t1's output picks the
    DECISION case 'two', a USER_TASK (a worker task here), then t3; outputParameters o2 = t1's op."""
    c = conductor
    c.register("conditional_system_task_workflow_integration_test.json")
    wf_id = c.start("ConditionalSystemWorkflow", P, 1, "")
    c.complete("integration_task_1", {"op": "large payload", "case": "two"})
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "DECISION:COMPLETED", "USER_TASK:SCHEDULED")
    user_task = c.poll("USER_TASK", wait_ms=1000)
    assert user_task.input_data == {"largeInput": "large payload"}
    c.update(user_task, "COMPLETED", {"op": "user.done"})
    assert c.complete("integration_task_3").input_data == {"tp31": "p2 value"}
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and wf.output == {"o2": "large payload"}
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "DECISION:COMPLETED", "USER_TASK:COMPLETED",
                                 "integration_task_3:COMPLETED")


def test_workflow_with_a_synchronous_system_task(conductor):
    """workflow_with_synchronous_system_task (ExternalPayloadStorageSpec, without external storage): a JQ task
    counts t1's TEST_SAMPLE list; outputParameters read jsonjq.output.resources (absent: null)."""
    c = conductor
    c.register("workflow_with_synchronous_system_task.json")
    wf_id = c.start("workflow_with_synchronous_system_task", P, 1, "")
    c.complete("integration_task_1", {"op": {"TEST_SAMPLE": [{"a": 1}, {"b": 2}, {"c": 3}]}})
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "JSON_JQ_TRANSFORM:COMPLETED")
    assert wf.tasks[1].output_data["result"] == 3
    assert wf.output == {"data": None}


# ============================================================================================== WaitTaskSpec
def test_wait_based_simple_workflow(conductor):
    """WaitTaskSpec 'Verify that a wait based simple workflow is executed' (a WAIT without duration, completed
    by an update)."""
    c = conductor
    c.register("wait_workflow_integration_test.json")
    wf_id = c.start("test_wait_workflow", {}, 1, "")
    assert c.wf(wf_id).status == "RUNNING" and c.types(wf_id) == seq("WAIT:IN_PROGRESS")
    c.complete_ref(wf_id, "wait0")
    assert c.types(wf_id) == seq("WAIT:COMPLETED", "integration_task_1:SCHEDULED")
    c.complete("integration_task_1", worker="task1.integration.worker")
    assert c.wf(wf_id).status == "COMPLETED" and c.types(wf_id) == seq("WAIT:COMPLETED", "integration_task_1:COMPLETED")


def test_set_variable_then_wait(conductor):
    """WaitTaskTest.java 'Test workflow with set variable task' (set_variable_workflow_integration_test): simple,
    SET_VARIABLE, WAIT; outputParameters read ${workflow.variables}."""
    c = conductor
    c.register("set_variable_workflow_integration_test.json")
    wf_id = c.start("set_variable_workflow_integration_test", {"var": "var_test_value"}, 1, "")
    assert c.types(wf_id) == seq("simple:SCHEDULED")
    c.complete("simple", {"ok1": "ov1"}, worker="simple.worker")
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING" and wf.variables == {"var": "var_test_value"}
    assert c.types(wf_id) == seq("simple:COMPLETED", "SET_VARIABLE:COMPLETED", "WAIT:IN_PROGRESS")
    c.update(wf.tasks[2], "COMPLETED")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and wf.output == {"variables": {"var": "var_test_value"}}
    assert c.types(wf_id) == seq("simple:COMPLETED", "SET_VARIABLE:COMPLETED", "WAIT:COMPLETED")


# ================================================================================ WorkflowAndTaskConfigurationSpec
CONFIG_FILES = ("simple_workflow_1_integration_test.json", "simple_workflow_1_input_template_integration_test.json",
                "simple_workflow_3_integration_test.json", "simple_workflow_with_optional_task_integration_test.json",
                "simple_workflow_with_permissive_task_integration_test.json",
                "simple_workflow_with_permissive_optional_task_integration_test.json",
                "simple_wait_task_workflow_integration_test.json")


@pytest.mark.parametrize("name", ["optional_task_wf", "permissive_optional_task_wf"])
def test_optional_task(conductor, name):
    """WorkflowAndTaskConfigurationSpec 'Test simple workflow which has an optional task' (and WorkflowAndTask
    ConfigurationTest.java's permissive optional variant): the failed optional task is retried, the retry times
    out (task_optional: timeoutSeconds 5, RETRY) and ends COMPLETED_WITH_ERRORS, and the workflow completes."""
    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start(name, P, 1, "integration_test")
    assert c.types(wf_id) == seq("task_optional:SCHEDULED")
    c.fail("task_optional", "NETWORK ERROR")
    assert c.types(wf_id) == seq("task_optional:FAILED", "task_optional:SCHEDULED")
    c.poll("task_optional", wait_ms=1000)
    c.after(6, wf_id, lambda wf: len(wf.tasks) == 3)
    assert c.types(wf_id) == seq("task_optional:FAILED", "task_optional:COMPLETED_WITH_ERRORS",
                                 "integration_task_2:SCHEDULED")
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "COMPLETED"


@pytest.mark.parametrize("name", ["optional_task_wf", "permissive_optional_task_wf"])
def test_optional_task_that_fails_every_attempt(conductor, name):
    """The optional-task scenario above with the retry failing instead of timing out: the same end."""
    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start(name, P, 1, "integration_test")
    c.fail("task_optional", "NETWORK ERROR")
    c.fail("task_optional", "NETWORK ERROR")
    assert c.types(wf_id) == seq("task_optional:FAILED", "task_optional:COMPLETED_WITH_ERRORS",
                                 "integration_task_2:SCHEDULED")
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "COMPLETED"


def test_permissive_task(conductor):
    """WorkflowAndTaskConfigurationTest.java 'Test simple workflow which has a permissive task': the permissive
    task fails twice (retryCount 1), the next task still runs, and the workflow then FAILS naming the task."""
    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start("permissive_task_wf", P, 1, "integration_test")
    assert c.types(wf_id) == seq("task_permissive:SCHEDULED")
    c.fail("task_permissive", "NETWORK ERROR")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("task_permissive:FAILED", "task_permissive:SCHEDULED")
    c.fail("task_permissive", "NETWORK ERROR")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("task_permissive:FAILED", "task_permissive:FAILED", "integration_task_2:SCHEDULED")
    c.complete("integration_task_2")
    wf = c.wf(wf_id)
    assert wf.status == "FAILED" and len(wf.tasks) == 3 and wf.tasks[2].status == "COMPLETED"
    assert wf.reason_for_incompletion == \
        f"Task {wf.tasks[1].task_id} failed with status: FAILED and reason: 'NETWORK ERROR'"


def test_workflow_input_template(conductor):
    """WorkflowAndTaskConfigurationSpec 'test workflow with input template parsing'."""
    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start("integration_test_template_wf", {"param3": "external string"}, 1, "integration_test")
    c.complete("integration_task_1", {"op": "task1.done"})
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED"
    assert wf.output == {"output": "task1.done", "param3": "external string", "param2": ["list", "of", "strings"],
                         "param1": {"nested_object": {"nested_key": "nested_value"}}}


def test_task_timeout_configuration(conductor):
    """WorkflowAndTaskConfigurationSpec 'Test simple workflow with task time out configuration' (timeoutSeconds 1,
    RETRY, one retry): both attempts time out, then the workflow TIMED_OUT."""
    c = conductor
    c.register(*CONFIG_FILES)
    c.task_def("integration_task_1", retry_count=1, timeout_seconds=1, response_timeout_seconds=1,
               retry_delay_seconds=0, timeout_policy="RETRY")
    wf_id = c.start("integration_test_wf", {**P, "failureWfName": "FanInOutTest"}, 1, "unit_test_1")
    assert c.poll("integration_task_1", wait_ms=1000).workflow_instance_id == wf_id
    c.after(3, wf_id, lambda wf: len(wf.tasks) == 2)
    assert c.types(wf_id) == seq("integration_task_1:TIMED_OUT", "integration_task_1:SCHEDULED")
    assert c.poll("integration_task_1", wait_ms=1000) is not None
    assert c.after(3, wf_id, lambda wf: wf.status in TERMINAL).status == "TIMED_OUT"
    assert c.types(wf_id) == seq("integration_task_1:TIMED_OUT", "integration_task_1:TIMED_OUT")


def test_workflow_timeout_configuration(conductor):
    """WorkflowAndTaskConfigurationSpec 'Test workflow timeout configurations' (TIME_OUT_WF after 5 s)."""
    c = conductor
    c.register(*CONFIG_FILES)
    definition = c.workflow_def("integration_test_wf3")
    definition.update(timeoutPolicy="TIME_OUT_WF", timeoutSeconds=5)
    c.api.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
    wf_id = c.start("integration_test_wf3", {**P, "failureWfName": "FanInOutTest"}, 1, "unit_test_3")
    assert c.poll("integration_task_1", wait_ms=1000) is not None
    assert c.after(6, wf_id, lambda wf: wf.status in TERMINAL).status == "TIMED_OUT"
    assert c.types(wf_id) == seq("integration_task_1:CANCELED")


@not_implemented("rerun", "rerun_workflow")
def test_rerunning_a_completed_workflow_several_times(conductor):
    """WorkflowAndTaskConfigurationSpec 'Test re-running the simple workflow multiple times after completion'
    (rerun from t2, then from the start; Conductor reruns in place, returning the same id)."""
    from conductor_nb import RerunWorkflowRequest

    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start("integration_test_wf", P, 1, "unit_test_1")
    c.complete("integration_task_1", {"op": "task1.done"})
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "COMPLETED" and "o3" in c.wf(wf_id).output
    rerun_1 = c.api.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_workflow_id=wf_id,
                                                               re_run_from_task_id=c.wf(wf_id).tasks[1].task_id))
    assert c.wf(rerun_1).status == "RUNNING"
    assert c.types(rerun_1) == seq("integration_task_1:COMPLETED", "integration_task_2:SCHEDULED")
    polled = c.complete("integration_task_2")
    assert polled.input_data["tp1"] == "p1 value" and polled.input_data["tp2"] == "task1.done"
    assert c.wf(rerun_1).status == "COMPLETED" and "o3" in c.wf(rerun_1).output
    rerun_2 = c.api.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_workflow_id=wf_id))
    assert c.wf(rerun_2).status == "RUNNING" and c.types(rerun_2) == seq("integration_task_1:SCHEDULED")
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.complete("integration_task_2").input_data["tp2"] == "task1.done"
    assert c.wf(rerun_2).status == "COMPLETED" and "o3" in c.wf(rerun_2).output


def test_task_skipping(conductor):
    """WorkflowAndTaskConfigurationSpec 'Test task skipping in simple workflows' (skip t2 before it is
    scheduled: a SKIPPED task is added and t3 follows t1)."""
    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start("integration_test_wf3", P, 1, "unit_test_3")
    c.api.skip_task_from_workflow(wf_id, "t2")
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("integration_task_2:SKIPPED", "integration_task_1:SCHEDULED")
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.types(wf_id)[1:] == seq("integration_task_1:COMPLETED", "integration_task_3:SCHEDULED")
    c.complete("integration_task_3")
    assert c.wf(wf_id).status == "COMPLETED" and len(c.wf(wf_id).tasks) == 3


def test_pause_and_resume(conductor):
    """WorkflowAndTaskConfigurationSpec 'Test pause and resume simple workflow'."""
    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start("integration_test_wf", P, 1, "unit_test_1")
    c.api.pause_workflow(wf_id)
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.wf(wf_id).status == "PAUSED" and c.types(wf_id) == seq("integration_task_1:COMPLETED")
    assert c.poll("integration_task_2") is None
    c.api.resume_workflow(wf_id)
    assert c.wf(wf_id).status == "RUNNING"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "integration_task_2:SCHEDULED")
    polled = c.complete("integration_task_2")
    assert polled.input_data["tp1"] == "p1 value" and polled.input_data["tp2"] == "task1.done"
    assert c.wf(wf_id).status == "COMPLETED" and "o3" in c.wf(wf_id).output


@engine_bug("the WAIT named waitTimeout now times out and is retried (B20's timeout part is fixed), but the retry "
            "starts at once (IN_PROGRESS); Conductor's asynchronous WAIT stays SCHEDULED until its "
            "retryDelaySeconds (10) pass")
def test_wait_task_time_out(conductor):
    """WorkflowAndTaskConfigurationSpec 'Test wait time out task based simple workflow' (the waitTimeout task
    definition: timeoutSeconds 2, RETRY): the WAIT times out and is replaced, the replacement is completed."""
    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start("test_wait_timeout", {}, 1, "")
    assert c.types(wf_id) == seq("WAIT:IN_PROGRESS")
    c.after(3, wf_id, lambda wf: len(wf.tasks) == 2)
    assert c.types(wf_id) == seq("WAIT:TIMED_OUT", "WAIT:SCHEDULED")  # WorkflowAndTaskConfigurationTest.java
    c.update(c.wf(wf_id).tasks[1], "COMPLETED")
    assert c.types(wf_id) == seq("WAIT:TIMED_OUT", "WAIT:COMPLETED", "integration_task_1:SCHEDULED")
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.wf(wf_id).status == "COMPLETED"


def test_callback_after_seconds(conductor):
    """WorkflowAndTaskConfigurationSpec 'Test simple workflow with callbackAfterSeconds for tasks'."""
    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start("integration_test_wf", P, 1, "unit_test_1")
    c.update(c.poll("integration_task_1", "task1.worker", wait_ms=1000), "IN_PROGRESS", callback_after_seconds=2)
    assert c.types(wf_id) == seq("integration_task_1:SCHEDULED")
    assert c.poll("integration_task_1") is None
    c.advance(2.05)
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "integration_task_2:SCHEDULED")
    c.update(c.poll("integration_task_2", "task2.worker", wait_ms=1000), "IN_PROGRESS", callback_after_seconds=5)
    assert c.types(wf_id)[1] == ("integration_task_2", "SCHEDULED")
    assert c.poll("integration_task_2") is None
    c.advance(5.1)
    c.complete("integration_task_2")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "integration_task_2:COMPLETED")


def test_task_definition_input_template(conductor, monkeypatch):
    """WorkflowAndTaskConfigurationSpec 'Test task def template': the TaskDef's inputTemplate fills the task
    input, its ${...} resolved (${STACK2} from the environment; the spec sets a system property)."""
    c = conductor
    monkeypatch.setenv("STACK2", "test_stack")
    c.api.register_task_defs([TaskDef.from_dict({"name": "templated_task", "ownerEmail": "test@harness.com",
                                                 "inputTemplate": {"http_request": {
                                                     "method": "GET", "vipStack": "${STACK2}",
                                                     "uri": "/get/something", "body": {
                                                         "inputPaths": ["${workflow.input.path1}",
                                                                        "${workflow.input.path2}"],
                                                         "requestDetails": "${workflow.input.requestDetails}",
                                                         "outputPath": "${workflow.input.outputPath}"}}}})])
    definition = WorkflowDef.from_dict({"name": "template_workflow", "schemaVersion": 2,
                                        "ownerEmail": "test@harness.com", "tasks": [
                                            {"name": "templated_task", "taskReferenceName": "t0", "type": "SIMPLE"}]})
    c.api.register_workflow_def(definition, overwrite=True)
    wf_id = c.start("template_workflow", {"path1": "file://path1", "path2": "file://path2",
                                          "outputPath": "s3://bucket/outputPath",
                                          "requestDetails": {"key1": "value1", "key2": 42}},
                    correlation_id="workflow_taskdef_template")
    wf = c.wf(wf_id)
    assert wf.status == "RUNNING" and len(wf.tasks) == 1
    request = wf.tasks[0].input_data["http_request"]
    assert request["method"] == "GET" and request["vipStack"] == "test_stack" and request["uri"] == "/get/something"
    assert request["body"] == {"requestDetails": {"key1": "value1", "key2": 42}, "outputPath": "s3://bucket/outputPath",
                               "inputPaths": ["file://path1", "file://path2"]}


# ====================================================================================== TaskLimitsWorkflowSpec
LIMIT_FILES = ("rate_limited_system_task_workflow_integration_test.json",
               "rate_limited_simple_task_workflow_integration_test.json",
               "concurrency_limited_task_workflow_integration_test.json")


@pytest.mark.parametrize("name, task_type", [
    ("test_rate_limit_simple_task_workflow", "test_simple_task_with_rateLimits"),
    ("test_rate_limit_system_task_workflow", "USER_TASK")])
def test_rate_limited_task(conductor, name, task_type):
    """TaskLimitsWorkflowSpec 'Verify that the rate limiting for simple tasks is honored' (and its USER_TASK
    variant, a worker task here): one dequeue per 10 s for the task definition."""
    c = conductor
    c.register(*LIMIT_FILES)
    first = c.start(name, {}, 1, "")
    c.complete(task_type, worker="rate.limit.test.worker")
    assert c.wf(first).status == "COMPLETED"
    second = c.start(name, {}, 1, "")
    assert c.types(second) == seq(f"{task_type}:SCHEDULED")
    assert c.poll(task_type, "rate.limit.test.worker") is None
    c.advance(10)
    c.complete(task_type, worker="rate.limit.test.worker")
    assert c.wf(second).status == "COMPLETED"


def test_concurrency_limited_task(conductor):
    """TaskLimitsWorkflowSpec 'Verify that concurrency limited tasks are honored during workflow execution'."""
    c = conductor
    c.register(*LIMIT_FILES)
    first = c.start("test_concurrency_limits_workflow", {}, 1, "")
    polled = c.poll("test_task_with_concurrency_limit", "test_task_worker", wait_ms=1000)
    assert polled.workflow_instance_id == first
    second = c.start("test_concurrency_limits_workflow", {}, 1, "")
    assert c.types(second) == seq("test_task_with_concurrency_limit:SCHEDULED")
    assert c.poll("test_task_with_concurrency_limit", "test_task_worker") is None
    c.update(polled, "COMPLETED")
    assert c.wf(first).status == "COMPLETED"
    again = c.poll("test_task_with_concurrency_limit", "test_task_worker", wait_ms=1000)
    assert again is not None and again.workflow_instance_id == second


def test_task_skipping_reaches_the_same_end(conductor):
    """WorkflowAndTaskConfigurationSpec 'Test task skipping in simple workflows', order-insensitive."""
    c = conductor
    c.register(*CONFIG_FILES)
    wf_id = c.start("integration_test_wf3", P, 1, "unit_test_3")
    c.api.skip_task_from_workflow(wf_id, "t2")
    assert sorted(c.types(wf_id)) == sorted(seq("integration_task_2:SKIPPED", "integration_task_1:SCHEDULED"))
    c.complete("integration_task_1", {"op": "task1.done"})
    assert c.types(wf_id)[-1] == ("integration_task_3", "SCHEDULED")
    c.complete("integration_task_3")
    wf = c.wf(wf_id)
    assert wf.status == "COMPLETED" and len(wf.tasks) == 3
    assert wf.get_task(task_reference_name="t2").status == "SKIPPED"


# ============================================================================================ e2e definitions
# e2e/src/test/java/io/conductor/e2e/... run these against a live server; the scenarios below follow those tests
# where they are known (named in the docstrings) and the definition's evident purpose otherwise. HTTP calls to
# public hosts are pointed at a server on 127.0.0.1.
class _Api(BaseHTTPRequestHandler):
    """orkes-api-tester and friends on 127.0.0.1: /api answers JSON, /conductor/_search an Elasticsearch-like
    search, anything else 404."""

    def do_GET(self):
        if self.path.startswith("/api"):
            self._send(200, {"hostName": "localhost", "apiRandomDelay": "0 ms", "randomInt": 42})
        elif self.path.startswith("/conductor/_search"):
            self._send(200, {"hits": {"hits": [{"_source": {"status": "COMPLETED", "workflowId": "w-1"}},
                                               {"_source": {"status": "RUNNING", "workflowId": "w-2"}}]}})
        else:
            self._send(404, {"error": "not found"})

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


PUBLIC_HOSTS = ("https://orkes-api-tester.orkesconductor.com", "http://localhost:9200", "https://cdatfact.ninja")


def localized(item, base: str):
    """A definition with its public HTTP hosts replaced by `base`."""
    text = json.dumps(item)
    for host in PUBLIC_HOSTS:
        text = text.replace(host, base)
    return json.loads(text)


def register_localized(c, path: str, base: str) -> None:
    data = load(CORPUS / path)
    for item in data if isinstance(data, list) else [data]:
        c.api.register_workflow_def(WorkflowDef.from_dict(localized(item, base)), overwrite=True)


def test_e2e_terminate_completed_workflow(conductor):
    """e2e broken_idempotency_logic_wf: a TERMINATE with terminationStatus COMPLETED ends the workflow COMPLETED
    with its reason (IdempotencyTests start it with an idempotency key; see the next test)."""
    c = conductor
    c.register("e2e/broken_idempotency_logic_wf.json")
    wf = c.wf(c.start("broken_idempotency_logic_wf", {}, 1))
    assert wf.status == "COMPLETED" and wf.reason_for_incompletion == "Done!"
    assert c.refs(wf.workflow_id) == seq("terminate_ref:COMPLETED")


def test_e2e_idempotent_start_returns_the_existing_workflow(conductor):
    """e2e broken_idempotency_logic_wf with IdempotencyStrategy RETURN_EXISTING: a second start with the same
    idempotencyKey returns the first workflow's id."""
    c = conductor
    c.register("e2e/broken_idempotency_logic_wf.json")
    first = c.start("broken_idempotency_logic_wf", {}, 1, idempotency_key="k-1", idempotency_strategy="RETURN_EXISTING")
    second = c.start("broken_idempotency_logic_wf", {}, 1, idempotency_key="k-1",
                     idempotency_strategy="RETURN_EXISTING")
    assert first == second


def test_e2e_fork_of_eight_concurrent_workers(conductor):
    """e2e context_concurrency_issue (ContextPropagationTest): eight branches of the same task type completed by
    concurrent workers; the JOIN holds all eight outputs."""
    c = conductor
    c.register("e2e/context_concurrency_issue.json")
    wf_id = c.start("context_concurrency_issue", {}, 1)
    tasks = c.api.batch_poll_tasks("concurrency_issue", "w", 8, 1000)
    assert len(tasks) == 8

    def finish(task):
        c.update(task, "COMPLETED", {"ref": task.reference_task_name})

    threads = [threading.Thread(target=finish, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert c.task(wf_id, "join_ref").output_data == {f"concurrency_issue_{i}": {"ref": f"concurrency_issue_{i}"}
                                                     for i in range(8)}


def test_e2e_cpewf_task_id_in_dynamically_forked_tasks(conductor):
    """e2e cpewf_task_id_dyn_fork_wf (mailbot_workflow v219) with the fail_on_purpose task definition: the INLINE
    builds the forked task list with `${CPEWF_TASK_ID}` in its input, which resolves to each forked attempt's own
    task id, retries included (retryCount 2, retryDelaySeconds 1)."""
    c = conductor
    c.api.register_task_defs([TaskDef.from_dict(load(E2E / "cpewf_task_id_dyn_fork_task_def.json"))])
    c.register("e2e/cpewf_task_id_dyn_fork_wf.json")
    wf_id = c.start("mailbot_workflow", {}, 219)
    first = c.poll("fail_on_purpose", wait_ms=3000)
    assert first.input_data["task_id"] == first.task_id
    c.update(first, "FAILED", reason="on purpose")
    c.advance(1)
    second = c.poll("fail_on_purpose", wait_ms=3000)
    assert second.task_id != first.task_id and second.input_data["task_id"] == second.task_id
    c.update(second, "COMPLETED")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert c.refs(wf_id) == seq("inline_ref:COMPLETED", "extracted_file_data_fork_ref:COMPLETED",
                                "fail_on_purpose_ref:FAILED", "extracted_file_data_join_ref:COMPLETED",
                                "fail_on_purpose_ref:COMPLETED")


def test_e2e_do_while_script_is_not_evaluated_early(conductor):
    """e2e DoWhileTests.testDoWhileScriptIsNotEvaledEarlyWhenSyncSystemTaskInside (DoWhileEarlyEvalScript v5):
    the loop condition waits for the iteration's last task."""
    c = conductor
    c.register("e2e/do_while_early_script_eval_wf.json")
    wf_id = c.start("DoWhileEarlyEvalScript", {"namespace_id": "namespace_spa_sAPhRsGAGAbYNUSNZN3Jts"}, 5)
    c.complete_ref(wf_id, "reserve_token_ref", {"token_id": "2WdNxfi5p4lGPzbZD3IpDvruaWs"})
    c.complete_ref(wf_id, "acquire_token_ref", {"acquired_at": 1697058745255})
    c.complete_ref(wf_id, "predictions_start_daily_bq_export_pipeline__1", {
        "query_end_time": "2023-10-11T20:42:00Z", "pipeline_started_at_rfc": "2023-10-11T21:12:27Z",
        "pipeline_uid": "2WdNxykVDIDX9XpU5mtPtF0bZJi", "namespace_enabled": True})
    assert c.task(wf_id, "if_terminate_condition__1").status == "COMPLETED"
    assert c.task(wf_id, "predictions_daily_bq_export_pipeline_loop").status == "IN_PROGRESS"
    status_ref = "predictions_get_daily_bq_export_pipeline_status_long_running__1"
    assert c.task(wf_id, status_ref).status == "SCHEDULED"
    c.complete_ref(wf_id, status_ref, {})
    wf = c.api.update_task_by_ref_name_sync(wf_id, "predictions_process_daily_bq_export_pipeline_results__1",
                                            "COMPLETED", {})
    assert wf.get_task(task_reference_name="predictions_daily_bq_export_pipeline_loop").status == "COMPLETED"
    assert wf.get_task(task_reference_name="return_token_ref").status == "SCHEDULED"
    c.complete_ref(wf_id, "return_token_ref", {})
    assert c.wf(wf_id).status == "COMPLETED"


def test_e2e_do_while_set_variable_fix(conductor):
    """e2e DoWhileTests.testDoWhileSetVariableFix (do-while-set-variable-fix): the loop re-reads the variables a
    SET_VARIABLE inside it changed; two iterations, 8 tasks, the second starting after the first's last WAIT."""
    c = conductor
    c.register("e2e/do_while_early_script_eval_wf.json")
    wf_id = c.start("do-while-set-variable-fix", {}, 1)
    for _ in range(2):
        c.wait(wf_id, lambda wf: wf.tasks[-1].task_type == "WAIT" and wf.tasks[-1].status == "IN_PROGRESS")
        c.advance(2)
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and len(wf.tasks) == 8
    assert c.refs(wf_id) == seq("set_initial_variable_ref:COMPLETED", "do_while_ref:COMPLETED",
                                "switch_is_skip_approval_ref__1:COMPLETED", "wait_ref_2__1:COMPLETED",
                                "wait_ref_bug_from_here_down_below__1:COMPLETED", "wait_ref_1__1:COMPLETED",
                                "switch_is_skip_approval_ref__2:COMPLETED", "set_is_approved__2:COMPLETED")
    assert wf.tasks[6].start_time >= wf.tasks[5].end_time and wf.tasks[7].start_time >= wf.tasks[5].end_time


def test_e2e_keep_last_n_in_parallel_loops(conductor):
    """e2e DoWhileTests.testKeepLstN3 (keep_last_n_example_3): two loops in a fork keep their last 4 and 2
    iterations; 18 tasks remain when the workflow completes."""
    c = conductor
    c.register("e2e/do_while_keep_last_n_fix.json")
    wf_id = c.start("keep_last_n_example_3", {"batch": [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]}, 1)
    for _ in range(5):
        for ref in ("simple_ref_1", "simple_ref", "simple_ref_2"):
            c.wait(wf_id, lambda wf, r=ref: any(t.reference_task_name.startswith(r + "__") and t.status == "SCHEDULED"
                                                for t in wf.tasks))
            c.api.update_task_by_ref_name_sync(wf_id, ref, "COMPLETED", {})
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and len(wf.tasks) == 18
    loop_4 = [t.reference_task_name for t in wf.tasks if t.reference_task_name.startswith("simple_ref__")]
    loop_2 = [t.reference_task_name for t in wf.tasks if t.reference_task_name.startswith("simple_ref_1__")]
    assert sorted(loop_4) == [f"simple_ref__{i}" for i in (2, 3, 4, 5)]
    assert sorted(loop_2) == ["simple_ref_1__4", "simple_ref_1__5"]


def test_e2e_do_while_keep_last_n_with_a_switch(conductor):
    """e2e do_while_keep_last_n_switch_test: case 'b' each time until the 26th iteration, when max_loop_ctrl says
    stop and a SET_VARIABLE ends the loop; keepLastN 3."""
    c = conductor
    c.register("e2e/do_while_keep_last_n_switch_test.json")
    wf_id = c.start("do_while_keep_last_n_switch_test", {}, 1)
    wf = c.ended(wf_id, timeout=30)
    assert wf.status == "COMPLETED" and wf.variables["status"] == "Completed"
    assert wf.tasks[0].iteration == 26
    assert {t.iteration for t in wf.tasks[1:]} == {24, 25, 26}


def test_e2e_do_while_with_wait_and_switch_keeps_its_iteration(conductor, local_api):
    """e2e do_while_wait_switch_iteration_test: each iteration waits for a signal whose output picks the case;
    'b' loops again, 'a' sets status Completed and ends the loop."""
    c = conductor
    register_localized(c, "e2e/do_while_wait_switch_iteration_test.json", local_api)
    wf_id = c.start("do_while_wait_switch_iteration_test", {}, 1)
    for result in ("b", "a"):
        c.wait(wf_id, lambda wf: wf.tasks[-1].task_type == "WAIT" and wf.tasks[-1].status == "IN_PROGRESS")
        c.api.signal_workflow_task(wf_id, "COMPLETED", {"result": result})
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and wf.tasks[0].iteration == 2
    # inline_sample_ref's input is the loop's whole output, so its result carries the iteration it ran in
    assert [t.output_data["result"]["iteration"] for t in wf.tasks
            if t.reference_task_name.startswith("inline_sample_ref")] == [1, 2]
    assert wf.tasks[-1].reference_task_name == "http_ref_3" and wf.tasks[-1].status == "COMPLETED"


def test_e2e_dynamic_fork_of_optional_tasks(conductor):
    """e2e dyn_fork_test (DynamicForkTests): an INLINE builds three optional SIMPLE tasks for the dynamic fork;
    all complete. (join_1's script `expression` is an Orkes join feature the engine does not evaluate.)"""
    c = conductor
    c.register("e2e/dyn_fork_test.json")
    wf_id = c.start("dyn_fork_test", {}, 1)
    for n in (1, 2, 3):
        c.complete(f"simple_{n}", {"n": n})
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert c.task(wf_id, "join_1").output_data == {"simple_1": {"n": 1}, "simple_2": {"n": 2}, "simple_3": {"n": 3}}


def test_e2e_on_state_change_sub_workflow_runs(conductor):
    """e2e e2e_on_state_change_tests (+ _sub): the SUB_WORKFLOW's onStateChange publishes events, which the engine
    does not do (no event queues); the flow itself runs: the child's WAIT is signalled through the parent."""
    c = conductor
    c.register("e2e/e2e_on_state_change_tests.json", "e2e/e2e_on_state_change_tests_sub.json")
    wf_id = c.start("e2e_on_state_change_tests", {}, 1)
    c.api.signal_workflow_task(wf_id, "COMPLETED", {})
    assert c.ended(wf_id).status == "COMPLETED"


def test_e2e_end_time_of_a_task_is_visible_to_the_next(conductor):
    """e2e end_time_workflow (EndTimeIssueTests): `${simple_ref.endTime}` is the finished task's endTime."""
    c = conductor
    c.register("e2e/end_time_workflow.json")
    wf_id = c.start("end_time_issue_wf", {}, 1)
    c.complete("end_time_simple")
    end_time = c.task(wf_id, "simple_ref").end_time
    assert end_time > 0
    assert c.complete("end_time_simple_2").input_data["endTime"] == end_time
    assert c.complete("end_time_simple_3").input_data["endTime"] == end_time
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and c.task(wf_id, "inline_ref").output_data["result"] == end_time


def test_e2e_task_on_state_change_flow_runs(conductor):
    """e2e onstate_fix_test (TaskOnStateChangeTests): onStateChange events are not published by the engine; the
    flow runs: a SIMPLE task, a WAIT completed by a signal, a 3 s WAIT."""
    c = conductor
    c.register("e2e/onstate_fix_test.json")
    wf_id = c.start("task_state_change_event_test", {}, 1)
    c.complete("test_task_on_change")
    c.api.signal_workflow_task(wf_id, "COMPLETED", {})
    c.wait(wf_id, lambda wf: len(wf.tasks) == 3)
    c.advance(3)
    assert c.ended(wf_id).status == "COMPLETED"


def test_e2e_stack_overflower(conductor):
    """e2e stackoverflower: a DO_WHILE of INLINEs runs many iterations without a stack overflow (50 here, 500
    with CONDUCTOR_NB_SLOW_TESTS=1)."""
    c = conductor
    c.register("e2e/stackoverflower.json")
    wf_id = c.start("stackoverflower", {"n": HIGH_ITERATIONS}, 1)
    wf = c.ended(wf_id, timeout=120)
    assert wf.status == "COMPLETED" and wf.tasks[0].iteration == HIGH_ITERATIONS
    assert len(wf.tasks) == HIGH_ITERATIONS + 1


def test_e2e_sub_workflow_parent_times_out(conductor):
    """e2e sub_workflow_tests.json (SubWorkflowTimeoutRetryTests): integration_test_wf_with_sub_wf has
    TIME_OUT_WF after 5 s; the parent times out and its child is terminated."""
    c = conductor
    c.register("e2e/sub_workflow_tests.json")
    wf_id = c.start("integration_test_wf_with_sub_wf", {**P, "subwf": "sub_workflow"}, 1)
    c.complete("integration_task_1", {"op": "done"})
    child = c.wf(wf_id).tasks[1].sub_workflow_id
    assert c.after(6, wf_id, lambda wf: wf.status in TERMINAL).status == "TIMED_OUT"
    assert c.wait(child, lambda wf: wf.status in TERMINAL).status == "TERMINATED"


def test_e2e_sub_workflow_definitions_run(conductor):
    """e2e sub_workflow_tests.json, without the timeout: t1 then the sub_workflow child."""
    c = conductor
    c.register("e2e/sub_workflow_tests.json")
    wf_id = c.start("integration_test_wf_with_sub_wf", {**P, "subwf": "sub_workflow"}, 1)
    c.complete("integration_task_1", {"op": "done"})
    c.complete("simple_task_in_sub_wf")
    assert c.wf(wf_id).status == "COMPLETED"
    assert c.types(wf_id) == seq("integration_task_1:COMPLETED", "SUB_WORKFLOW:COMPLETED")


@not_implemented("rerun", "rerun_workflow")
def test_e2e_rerun_from_a_task_inside_a_switch_result(conductor):
    """e2e switch_rerun_issue (WorkflowRerunTests): rerun from the WAIT re-runs WAIT, SWITCH and the case's
    INLINE, which still reads inline_ref_1's result."""
    from conductor_nb import RerunWorkflowRequest

    c = conductor
    c.register("e2e/switch_rerun_issue.json")
    wf_id = c.start("switch_rerun_issue", {"case": "yes"}, 2)
    c.wait(wf_id, lambda wf: len(wf.tasks) == 2)
    c.advance(2)
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    stamp = wf.tasks[0].output_data["result"]
    assert c.task(wf_id, "inline_ref_2").output_data["result"] == stamp
    c.api.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_workflow_id=wf_id,
                                                     re_run_from_task_id=wf.tasks[1].task_id))
    c.wait(wf_id, lambda wf: wf.status == "RUNNING" and len(wf.tasks) == 2)
    c.advance(2)
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert c.refs(wf_id) == seq("inline_ref_1:COMPLETED", "wait_ref:COMPLETED", "switch_ref:COMPLETED",
                                "inline_ref_2:COMPLETED")
    assert wf.tasks[3].output_data["result"] == stamp


def test_e2e_switch_inside_a_loop(conductor):
    """e2e switch_rerun_issue_2: three iterations of INLINE, 1 s WAIT, nested SWITCHes; the INLINEs in the cases
    read the same iteration's inline_ref_1 result."""
    c = conductor
    c.register("e2e/switch_rerun_issue_2.json")
    wf_id = c.start("switch_rerun_issue_2", {"case": "yes"}, 1)
    for _ in range(3):
        c.wait(wf_id, lambda wf: wf.tasks[-1].task_type == "WAIT" and wf.tasks[-1].status == "IN_PROGRESS")
        c.advance(1)
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and wf.tasks[0].iteration == 3
    for i in (1, 2, 3):
        stamp = wf.get_task(task_reference_name=f"inline_ref_1__{i}").output_data["result"]
        assert wf.get_task(task_reference_name=f"inline_ref_2__{i}").output_data["result"] == stamp
        assert wf.get_task(task_reference_name=f"inline_ref_3__{i}").output_data["result"] == stamp


def test_e2e_variable_updates_steer_a_switch(conductor):
    """e2e sync_task_variable_updates (SyncWorkflowExecutionTest 'update variables'): the variables updated while
    the WAIT holds decide the SWITCH's case."""
    c = conductor
    c.register("e2e/sync_task_variable_updates.json")
    wf_id = c.start("sync_task_variable_updates", {}, 1)
    c.wait(wf_id, lambda wf: len(wf.tasks) == 2)
    c.api.update_workflow_variables(wf_id, {"case": "case1"})
    c.complete_ref(wf_id, "wait_task_ref")
    assert c.refs(wf_id)[2:] == seq("switch_task_ref:COMPLETED", "wait_task_ref_2:IN_PROGRESS")
    c.complete_ref(wf_id, "wait_task_ref_2")
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert wf.tasks[-1].output_data["result"] == [{"user": {"email": "mail@mail.com", "id": 1}},
                                                  {"user": {"email": "mail2@mail.com", "id": 2}}]


@pytest.mark.parametrize("name, target, expected", [
    ("sync_workflow_no_poller", "simple_task_pia0h_ref", "RUNNING"),
    ("sync_workflow_end_with_simple_task", "simple_task_rka0w_ref", "RUNNING"),
    ("sync_workflow_end_with_set_variable_task", "set_variable_task_1fi09_ref", "COMPLETED"),
    ("sync_workflow_end_with_jq_task", "json_transform_task_10i8a_ref", "COMPLETED"),
    ("sync_workflow_end_with_subworkflow_task", "http_sync", "RUNNING"),
])
def test_e2e_sync_workflow_execution(conductor, name, target, expected):
    """e2e SyncWorkflowExecutionTest: execute_workflow with waitUntilTaskRef returns the run; with no worker for
    its SIMPLE task a workflow is still RUNNING when the wait ends (1 s here, not 10-25 s)."""
    c = conductor
    c.register("e2e/sync_workflows.json")
    run = c.api.execute_workflow(StartWorkflowRequest(name=name, version=1), wait_until_task_ref=target,
                                 wait_for_seconds=1)
    assert run.status == expected
    if expected == "RUNNING":
        assert run.signal_timeout
        c.api.terminate_workflow(run.workflow_id, reason="Terminated")


def test_e2e_sync_workflow_with_inline_wait_and_simple_task(conductor):
    """e2e SyncWorkflowExecutionTest 'Check sync workflow with inline, wait, and simple task ...': once the 5 s
    WAIT has passed, the run shows three tasks and is RUNNING (no worker for the SIMPLE task)."""
    c = conductor
    c.register("e2e/sync_workflows.json")
    result = {}

    def execute():
        request = StartWorkflowRequest(name="sync_workflow_with_inline_wait_and_simple_task", version=1)
        result["run"] = c.api.execute_workflow(request, wait_until_task_ref="simple_ref", wait_for_seconds=2)

    thread = threading.Thread(target=execute)
    thread.start()
    time.sleep(0.3)
    c.advance(5)
    thread.join(10)
    run = result["run"]
    assert run.status == "RUNNING" and len(run.tasks) == 3
    assert [t.task_type for t in run.tasks] == ["INLINE", "WAIT", "simple"]
    c.api.terminate_workflow(run.workflow_id, reason="Terminated")




def test_e2e_load_test_perf_sync_workflow(conductor, local_api):
    """e2e SyncWorkflowExecutionTest 'Check sync workflow is executed within 20 seconds'
    (load_test_perf_sync_workflow, with workers answering x_test_worker_*): it completes."""
    c = conductor
    register_localized(c, "e2e/sync_workflows.json", local_api)
    wf_id = c.start("load_test_perf_sync_workflow", {}, 1)
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            for name in ("x_test_worker_0", "x_test_worker_1", "x_test_worker_2"):
                for task in c.api.batch_poll_tasks(name, "w", 10, 0):
                    c.update(task, "COMPLETED", {"number": 7})
            time.sleep(0.01)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        c.wait(wf_id, lambda wf: any(t.task_type == "WAIT" and t.status == "IN_PROGRESS" for t in wf.tasks))
        c.advance(1)
        wf = c.ended(wf_id, timeout=20)
    finally:
        stop.set()
        thread.join(5)
    assert wf.status == "COMPLETED", wf.reason_for_incompletion
    # the definition puts value2 at the top of the jq input, not under key2: jq adds null to key1.value1
    assert wf.output["task1"] == {"number": 7} and wf.output["jq"]["result"] == {"key3": ["a", "b"]}


def test_e2e_http_task_failure(conductor, local_api):
    """e2e workflow_data.json this_will_fail: the last HTTP task gets a 404, so the workflow FAILS after the HTTP,
    SET_VARIABLE and JQ tasks before it completed."""
    c = conductor
    register_localized(c, "e2e/workflow_data.json", local_api)
    wf = c.ended(c.start("this_will_fail", {}, 1))
    assert wf.status == "FAILED"
    assert c.refs(wf.workflow_id) == seq("http_task_lvome_ref:COMPLETED", "set_variable_task_lxzgc_ref:COMPLETED",
                                         "json_transform_task_518l3h_ref:COMPLETED", "get_random_fact:FAILED")
    assert wf.tasks[-1].output_data["response"].startswith("java.lang.Exception: 404 Not Found on GET request for")


def test_e2e_http_async_complete(conductor, local_api):
    """e2e workflow_data.json http_async_complete (HTTPTaskTests): with asyncComplete the HTTP task stays
    IN_PROGRESS after its call until an external update completes it."""
    c = conductor
    definition = localized(next(d for d in load(E2E / "workflow_data.json") if d["name"] == "http_async_complete"),
                           local_api)
    definition["tasks"][0]["inputParameters"]["uri"] = f"{local_api}/api/hello?name=Orkes_Async"
    c.api.register_workflow_def(WorkflowDef.from_dict(definition), overwrite=True)
    wf_id = c.start("http_async_complete", {}, 1)
    wf = c.wait(wf_id, lambda wf: wf.tasks and "response" in wf.tasks[0].output_data)  # the call returned
    assert wf.status == "RUNNING"
    # read as is (c.refs would wait for the HTTP task to settle)
    assert [(t.reference_task_name, t.status) for t in wf.tasks] == seq("http_ref:IN_PROGRESS")
    assert wf.tasks[0].output_data["response"]["statusCode"] == 200
    c.complete_ref(wf_id, "http_ref", {"done": True})
    assert c.wf(wf_id).status == "COMPLETED"


@pytest.mark.parametrize("name, task", [("task-rate-limit-test", "rate-limited-task"),
                                        ("concurrency-limit-test", "task-concurrency-limit-test")])
def test_e2e_task_limits(conductor, name, task):
    """e2e TaskRateLimitTests / ConcurrentExecLimitTests (workflow_data.json + tasks_data.json): two workflows;
    the second task cannot be taken while the limit holds (rate: 1 per 10 s; concurrency: 1 in progress)."""
    c = conductor
    c.api.register_task_defs([TaskDef.from_dict(d) for d in load(E2E / "tasks_data.json")])
    c.register("e2e/workflow_data.json")
    first, second = c.start(name, {"value": 1}, 1), c.start(name, {"value": 2}, 1)
    taken = c.poll(task, wait_ms=1000)
    assert taken is not None and c.poll(task) is None
    c.update(taken, "COMPLETED")
    if name == "task-rate-limit-test":
        assert c.poll(task) is None
        c.advance(10)
    other = c.poll(task, wait_ms=1000)
    assert other is not None and {taken.workflow_instance_id, other.workflow_instance_id} == {first, second}
    c.update(other, "COMPLETED")
    assert c.wf(first).status == "COMPLETED" and c.wf(second).status == "COMPLETED"


def test_e2e_java_sdk_workflow(conductor):
    """e2e workflow_data.json test-sdk-java-workflow (JavaSDKTests): one SIMPLE task."""
    c = conductor
    c.register("e2e/workflow_data.json")
    wf_id = c.start("test-sdk-java-workflow", {}, 1)
    c.complete("test-sdk-java-task", {"ok": True})
    assert c.wf(wf_id).status == "COMPLETED" and c.wf(wf_id).output == {"ok": True}


def test_e2e_terminating_a_parent_with_waiting_children(conductor):
    """e2e workflow_rate_limit_in_progress_cleanup.json: the parent's WAIT, then three forked children each
    waiting; terminating the parent terminates the children."""
    c = conductor
    c.register("e2e/workflow_rate_limit_in_progress_cleanup.json")
    wf_id = c.start("workflow_rate_limit_in_progress_parent", {}, 1)
    c.complete_ref(wf_id, "wait_ref")
    children = [t.sub_workflow_id for t in c.wf(wf_id).tasks if t.task_type == "SUB_WORKFLOW"]
    assert len(children) == 3 and all(c.wf(child).status == "RUNNING" for child in children)
    c.api.terminate_workflow(wf_id, reason="cleanup")
    assert c.wf(wf_id).status == "TERMINATED"
    assert all(c.wf(child).status == "TERMINATED" for child in children)


def test_e2e_sub_workflow_versions(conductor):
    """e2e workflows.json sub_workflow_test (SubWorkflowVersionTests): a SUB_WORKFLOW without a version runs the
    latest (v3: x_test_worker_4), with version 1 runs v1 (x_test_worker_1)."""
    c = conductor
    c.register("e2e/workflows.json")
    wf_id = c.start("sub_workflow_test", {}, 1)
    c.complete("x_test_worker_0", {"number": 1})
    sub = c.wait(wf_id, lambda wf: any(t.reference_task_name == "sub_flow" for t in wf.tasks))
    latest = c.wf(sub.get_task(task_reference_name="sub_flow").sub_workflow_id)
    assert latest.workflow_version == 3 and c.types(latest.workflow_id) == seq("x_test_worker_4:SCHEDULED")
    c.complete("x_test_worker_4")
    v1 = c.wf(c.wait(wf_id, lambda wf: any(t.reference_task_name == "sub_flow_v1" for t in wf.tasks))
              .get_task(task_reference_name="sub_flow_v1").sub_workflow_id)
    assert v1.workflow_version == 1 and c.types(v1.workflow_id) == seq("x_test_worker_1:SCHEDULED")


def test_e2e_timed_out_tasks_are_retried(conductor):
    """e2e timed-out-tasks-not-removed.json (TaskTimeoutTests): the optional task is never polled; it times out
    (RETRY, 2 retries) and then ends COMPLETED_WITH_ERRORS."""
    c = conductor
    c.register("e2e/timed-out-tasks-not-removed.json")
    wf_id = c.start("timed_out_task", {}, 1)
    for attempt in range(3):
        c.after(100, wf_id, lambda wf, n=attempt: len(wf.tasks) > n + 1 or wf.status in TERMINAL)
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and wf.tasks[-1].status == "COMPLETED_WITH_ERRORS"
    assert [t.status for t in wf.tasks[:-1]] == ["TIMED_OUT", "TIMED_OUT"]


# ================================================================================= kitchensink and the rest
STORED_TASKS = {n: n for n in ("task_1", "task_4", "task_10", "task_11", "task_30")}
EPHEMERAL_TASKS = {"task_1": "task_10001", "task_4": "task_10004", "task_10": "task_100010",
                   "task_11": "task_100011", "task_30": "task_100030"}


def kitchensink_flow(c, wf_id, odd_even: int, names=STORED_TASKS):
    """The kitchen sink's tasks, answered as its workers would: task_1, the DYNAMIC task (task_5 here), then
    either the dynamic fan-out (oddEven 0) or the fork of two sub_flow_1 children (oddEven 1), the HTTP search
    (a local Elasticsearch stand-in) and task_30, whose input picks `..status` and `..workflowId` from the search."""
    c.complete(names["task_1"], {"mod": 1, "oddEven": odd_even})
    c.complete("task_5", {"mod": 1, "oddEven": odd_even})
    if odd_even == 0:
        c.complete(names["task_4"], {"dynamicTasks": [{"name": "task_12", "taskReferenceName": "x1"},
                                                      {"name": "task_13", "taskReferenceName": "x2"}],
                                     "inputs": {"x1": {"n": 1}, "x2": {"n": 2}}})
        assert c.complete("task_12").input_data["n"] == 1 and c.complete("task_13").input_data["n"] == 2
    else:
        c.complete(names["task_10"])
        c.complete(names["task_11"])
        for _ in range(2):  # each child runs task_5 and task_6
            c.complete("task_5")
            c.complete("task_6")
    polled = c.complete(names["task_30"])
    assert polled.input_data == {"statuses": ["COMPLETED", "RUNNING"], "workflowIds": ["w-1", "w-2"]}
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED"
    assert wf.output == {"statues": ["COMPLETED", "RUNNING"], "workflowIds": ["w-1", "w-2"]}
    return wf


@pytest.mark.parametrize("odd_even", [0, 1])
def test_kitchensink(conductor, local_api, odd_even):
    """kitchensink/kitchensink.json (KitchensinkEndToEndTest): EVENT, DYNAMIC, DECISION, dynamic fork or fork of
    sub-workflows, HTTP and JSONPath deep scans, with sub_flow_1.json as the child."""
    c = conductor
    register_localized(c, "kitchensink/kitchensink.json", local_api)
    c.register("kitchensink/sub_flow_1.json")
    wf_id = c.start("kitchensink", {"mod": 1, "oddEven": odd_even, "task2Name": "task_5"}, 1)
    wf = kitchensink_flow(c, wf_id, odd_even)
    types = [t.task_type for t in wf.tasks]
    assert types[:4] == ["task_1", "EVENT", "task_5", "DECISION"] and types[-2:] == ["HTTP", "task_30"]
    assert wf.tasks[1].output_data["event_produced"] == "conductor:kitchensink:event_0"


@pytest.mark.parametrize("file", ["kitchenSink-ephemeralWorkflowWithStoredTasks.json",
                                  "kitchenSink-ephemeralWorkflowWithEphemeralTasks.json"])
def test_kitchensink_ephemeral(conductor, local_api, file):
    """kitchensink/kitchenSink-ephemeral*.json: start requests with the definition inline (and, in the second,
    the task definitions inline too)."""
    c = conductor
    c.register("kitchensink/sub_flow_1.json")
    request = localized(load(KITCHENSINK / file), local_api)
    request["input"] = {**(request.get("input") or {}), "mod": 1, "oddEven": 1, "task2Name": "task_5"}
    wf_id = c.api.start_workflow(StartWorkflowRequest.from_dict(request))
    kitchensink_flow(c, wf_id, 1, EPHEMERAL_TASKS if "EphemeralTasks" in file else STORED_TASKS)


def test_kitchensink_sub_flow(conductor):
    """kitchensink/wf2.json (a sub_flow_1 with a fork): runs to COMPLETED, its output taken from its input."""
    c = conductor
    c.register("kitchensink/wf2.json")
    wf_id = c.start("sub_flow_1", {"mod": 3, "oddEven": 1}, 1)
    for name in ("task_5", "task_28", "task_10", "task_20", "task_11", "task_21", "task_30"):
        c.complete(name)
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and wf.output == {"mod": 3, "oddEven": 1}
    assert c.task(wf_id, "join").input_data["joinOn"] == ["task_21", "task_11"]


def test_quickstart_workflow(conductor, local_api):
    """quickstart-workflow.json (the docs' hello_workflow): HTTP GET (the public API tester on 127.0.0.1) and a
    graaljs INLINE summarising its body."""
    c = conductor
    register_localized(c, "quickstart-workflow.json", local_api)
    wf = c.ended(c.start("hello_workflow", {}, 1))
    assert wf.status == "COMPLETED"
    assert wf.output == {"summary": "Host localhost responded in 0 ms with random value 42",
                         "apiResponse": {"hostName": "localhost", "apiRandomDelay": "0 ms", "randomInt": 42}}


@not_implemented("test_workflow", "test_workflow")
def test_workflow_test_request_with_mocks(conductor):
    """workflow-test-request.json: POST /workflow/test with a mock for the INLINE task; the workflow completes
    with the mocked output feeding outputParameters."""
    from conductor_nb import WorkflowTestRequest

    c = conductor
    wf = c.api.test_workflow(WorkflowTestRequest.from_dict(load(CORPUS / "workflow-test-request.json")))
    assert wf.status == "COMPLETED" and wf.output == {"scheduledAt": 1760000000000}
    assert [(t.reference_task_name, t.status) for t in wf.tasks] == [("compute_report_window", "COMPLETED")]


def test_terminate_with_status_terminated(conductor):
    """terminate_task_terminated_status_test (no scenario in the corpus's suite; derived from the TERMINATE rules):
    terminationStatus TERMINATED ends the workflow TERMINATED with the given reason; lambda1 never runs."""
    c = conductor
    c.register("terminate_task_terminated_status_test.json")
    wf = c.ended(c.start("test_terminate_task_terminated", {"a": 1}, 1))
    assert wf.status == "TERMINATED" and wf.reason_for_incompletion == "Early exit with TERMINATED status"
    assert c.refs(wf.workflow_id) == seq("lambda0:COMPLETED", "terminate0:COMPLETED")
    assert "result" in wf.output


def test_terminate_with_status_terminated_inside_a_do_while(conductor):
    """terminate_task_terminated_status_in_do_while_test (derived): the TERMINATE in the first iteration of a
    DO_WHILE over three items ends the workflow TERMINATED; the loop is canceled."""
    c = conductor
    c.register("terminate_task_terminated_status_in_do_while_test.json")
    wf = c.ended(c.start("test_terminate_task_terminated_in_do_while", {}, 1))
    assert wf.status == "TERMINATED"
    assert wf.reason_for_incompletion == "Workflow terminated by TERMINATE task in DO_WHILE loop"
    assert c.refs(wf.workflow_id) == seq("do_while_ref:CANCELED", "lambda_ref__1:COMPLETED",
                                         "terminate_ref__1:COMPLETED")


def test_e2e_on_state_change_with_a_set_variable_child(conductor):
    """e2e e2e_on_state_change_tests with e2e_on_state_change_tests_sub_set_variable.json as the child (same
    name, a SET_VARIABLE instead of a WAIT): parent and child complete at once."""
    c = conductor
    c.register("e2e/e2e_on_state_change_tests.json", "e2e/e2e_on_state_change_tests_sub_set_variable.json")
    wf = c.ended(c.start("e2e_on_state_change_tests", {}, 1))
    assert wf.status == "COMPLETED"
    assert c.wf(wf.tasks[0].sub_workflow_id).variables == {"name": "Orkes"}


def test_e2e_signal_a_sub_workflow(conductor):
    """e2e signal_subworkflow (SignalTaskTest registers its child, wait_signal_test, in code; here it is a
    one-WAIT workflow): a signal to the parent completes the child's WAIT and both workflows."""
    c = conductor
    c.register("e2e/signal_subworkflow.json")
    c.api.register_workflow_def(WorkflowDef.from_dict({"name": "wait_signal_test", "version": 1, "tasks": [
        {"name": "wait", "taskReferenceName": "wait_ref", "type": "WAIT"}]}), overwrite=True)
    wf_id = c.start("signal_subworkflow", {}, 1)
    c.api.signal_workflow_task(wf_id, "COMPLETED", {"signalled": True})
    wf = c.ended(wf_id)
    assert wf.status == "COMPLETED" and c.wf(wf.tasks[0].sub_workflow_id).tasks[0].output_data == {"signalled": True}


def test_e2e_rerun_test_workflow(conductor, local_api):
    """e2e re_run_test_workflow (WorkflowRerunTests): SIMPLE, JQ, HTTP, WAIT, SET_VARIABLE, fork, a sub-workflow,
    a dynamic fork (forkTaskName form), a loop and an inline sub-workflow run to COMPLETED with workers."""
    c = conductor
    register_localized(c, "e2e/re_run_test_workflow.json", local_api)
    register_localized(c, "e2e/sync_workflows.json", local_api)  # PopulationMinMax
    wf_id = c.start("re_run_test_workflow", {}, 1)
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            for name in ("x_test_worker_0", "x_test_worker_1", "x_test_worker_2", "x_test_workers_0",
                         "x_test_workers_1", "x_test_workers_2"):
                for task in c.api.batch_poll_tasks(name, "w", 10, 0):
                    c.update(task, "COMPLETED", {"number": 7})
            time.sleep(0.01)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        for _ in range(3):  # the 1 s WAITs
            c.wait(wf_id, lambda wf: any(t.task_type == "WAIT" and t.status == "IN_PROGRESS" for t in wf.tasks)
                   or wf.status != "RUNNING", timeout=3)
            c.advance(1)
        wf = c.ended(wf_id, timeout=10)
    finally:
        stop.set()
        thread.join(5)
    assert wf.status == "COMPLETED", wf.reason_for_incompletion
