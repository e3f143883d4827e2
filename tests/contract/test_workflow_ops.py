"""The official SDK's workflow_ops sequence, step by step, as on a real server; and workflow tests with mocks."""

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conductor_nb import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    RerunWorkflowRequest,
    ServerError,
    SkipTaskRequest,
    StartWorkflowRequest,
    TaskResult,
    WorkflowDef,
    WorkflowTestRequest,
)

from workflow_helpers import wait_for, wt


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "11")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def api_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()


def statuses(api, wf_id):
    return [(t.reference_task_name, t.status) for t in api.get_workflow(wf_id).tasks]


def test_workflow_ops(api, api_url):
    definition = WorkflowDef.from_dict({"name": "workflow_signals_demo", "version": 1, "tasks": [
        wt("wait_for_2_sec", "WAIT", inputParameters={"duration": "2 seconds"}),
        wt("wait_for_signal", "WAIT"),
        wt("call_remote_api", "HTTP", inputParameters={"http_request": {"uri": api_url, "method": "GET"}}),
    ]})
    api.register_workflow_def(definition, overwrite=True)
    wf_id = api.start_workflow(StartWorkflowRequest(name="workflow_signals_demo", input={},
                                                    correlation_id="correlation_123"))
    assert statuses(api, wf_id) == [("wait_for_2_sec", "IN_PROGRESS")]
    time.sleep(2.5)  # the first WAIT is 2 seconds of real time
    assert statuses(api, wf_id) == [("wait_for_2_sec", "COMPLETED"), ("wait_for_signal", "IN_PROGRESS")]

    api.terminate_workflow(wf_id, reason="testing termination")
    wf = api.get_workflow(wf_id)
    assert (wf.status, wf.reason_for_incompletion) == ("TERMINATED", "testing termination")
    assert wf.tasks[1].status == "CANCELED"

    api.retry_workflow(wf_id)
    wf = api.get_workflow(wf_id)
    assert wf.status == "RUNNING" and wf.last_retried_time > 0
    signal_task = wf.tasks[-1]
    assert (signal_task.reference_task_name, signal_task.status) == ("wait_for_signal", "IN_PROGRESS")
    assert signal_task.retried_task_id == wf.tasks[1].task_id

    api.update_task(TaskResult(workflow_instance_id=wf_id, task_id=signal_task.task_id, status="COMPLETED",
                               output_data={"greetings": "hello from Orkes"}))
    wf = wait_for(api, wf_id)
    assert wf.status == "COMPLETED"
    assert wf.get_task(task_reference_name="call_remote_api").output_data["response"]["body"] == {"ok": True}

    api.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_task_id=wf.tasks[1].task_id))
    assert statuses(api, wf_id)[:2] == [("wait_for_2_sec", "COMPLETED"), ("wait_for_signal", "IN_PROGRESS")]
    assert api.get_workflow(wf_id).status == "RUNNING"

    api.terminate_workflow(wf_id, reason="again")
    api.restart_workflow(wf_id)
    assert statuses(api, wf_id) == [("wait_for_2_sec", "IN_PROGRESS")]

    api.pause_workflow(wf_id)
    assert api.get_workflow(wf_id).status == "PAUSED"
    api.resume_workflow(wf_id)
    assert api.get_workflow(wf_id).status == "RUNNING"

    found = api.search_workflows(query='correlationId = "correlation_123"')
    assert wf_id in {s.workflow_id for s in found.results}
    assert api.search_workflows(query=f'correlationId = "{uuid.uuid4()}"').total_hits == 0
    api.terminate_workflow(wf_id)


def test_operations_refuse_the_wrong_state(api):
    wf_def = WorkflowDef.from_dict({"name": "ops_state", "version": 1, "tasks": [wt("h", "HUMAN")]})
    wf_id = api.start_workflow(StartWorkflowRequest(name="ops_state", workflow_def=wf_def))
    with pytest.raises(NotFoundError, match="still running"):
        api.retry_workflow(wf_id)
    with pytest.raises(ConflictError):
        api.restart_workflow(wf_id)
    with pytest.raises(ConflictError):
        api.rerun_workflow(wf_id, RerunWorkflowRequest())
    with pytest.raises(ServerError):
        api.resume_workflow(wf_id)
    api.update_task_by_ref_name(wf_id, "h", "COMPLETED", {})
    with pytest.raises(ConflictError, match="no retryable tasks"):
        api.retry_workflow(wf_id)


def test_skip_a_task_not_yet_scheduled(api):
    wf_def = WorkflowDef.from_dict({"name": "skippy", "version": 1, "tasks": [
        wt("first", "HUMAN"), wt("second", "HUMAN"),
        wt("third", "SET_VARIABLE", inputParameters={"s": "${second.output.v}"})]})
    wf_id = api.start_workflow(StartWorkflowRequest(name="skippy", workflow_def=wf_def))
    api.skip_task_from_workflow(wf_id, "second", SkipTaskRequest(task_output={"v": "skipped!"}))
    with pytest.raises(ServerError, match="already been processed"):
        api.skip_task_from_workflow(wf_id, "second")
    api.update_task_by_ref_name(wf_id, "first", "COMPLETED", {})
    wf = api.get_workflow(wf_id)
    assert wf.status == "COMPLETED"
    assert [(t.reference_task_name, t.status) for t in wf.tasks] == [  # the skipped task has seq 0: listed first
        ("second", "SKIPPED"), ("first", "COMPLETED"), ("third", "COMPLETED")]
    assert wf.tasks[2].input_data == {"s": "skipped!"} and wf.variables == {"s": "skipped!"}


def test_update_variables_correlation_and_running_queries(api):
    wf_def = WorkflowDef.from_dict({"name": "vars", "version": 1, "tasks": [wt("h", "HUMAN")]})
    api.register_workflow_def(wf_def, overwrite=True)
    a = api.start_workflow(StartWorkflowRequest(name="vars", correlation_id="cx"))
    b = api.start_workflow(StartWorkflowRequest(name="vars", correlation_id="cx"))
    assert api.update_workflow_variables(a, {"k": 1}).variables == {"k": 1}
    api.terminate_workflow(b)
    assert [w.workflow_id for w in api.get_workflows_by_correlation_id("vars", "cx")] == [a]
    assert {w.workflow_id for w in api.get_workflows_by_correlation_id("vars", "cx", include_closed=True)} == {a, b}
    assert api.get_running_workflows("vars", 1) == [a]
    assert set(api.get_workflows_by_correlation_ids("vars", ["cx", "none"], True)) == {"cx", "none"}


def test_queue_sizes_and_poll_data(api):
    wf_def = WorkflowDef.from_dict({"name": "queued", "version": 1, "tasks": [wt("q_task")]})
    for _ in range(3):
        api.start_workflow(StartWorkflowRequest(name="queued", workflow_def=wf_def))
    assert api.get_queue_sizes(["q_task", "other"]) == {"q_task": 3, "other": 0}
    api.batch_poll_tasks("q_task", "worker-7", 1, 0)
    assert api.get_queue_sizes(["q_task"]) == {"q_task": 2}
    data = api.get_poll_data("q_task")
    assert [(d.queue_name, d.worker_id) for d in data] == [("q_task", "worker-7")] and data[0].last_poll_time > 0


# ---------------------------------------------------------------------------------------------- workflow tests
def test_workflow_test_applies_mocks_in_order(api):
    request = WorkflowTestRequest.from_dict({
        "name": "mocked", "workflowDef": {"name": "mocked", "version": 1, "tasks": [
            wt("fetch", retryCount=1),
            wt("decide", "SWITCH", evaluatorType="value-param", expression="v", inputParameters={"v": "${fetch.output.v}"},
               decisionCases={"go": [wt("go_on")]}),
            wt("shape", "INLINE", inputParameters={"evaluatorType": "javascript", "x": "${go_on.output.x}",
                                                   "expression": "$.x * 2"})]},
        "input": {},
        "taskRefToMockOutput": {
            "fetch": [{"status": "FAILED", "output": {}}, {"status": "COMPLETED", "output": {"v": "go"}}],
            "go_on": [{"status": "COMPLETED", "output": {"x": 21}}]}})
    wf = api.test_workflow(request)
    assert wf.status == "COMPLETED"
    assert [(t.reference_task_name, t.status) for t in wf.tasks] == [
        ("fetch", "FAILED"), ("fetch", "COMPLETED"), ("decide", "COMPLETED"), ("go_on", "COMPLETED"),
        ("shape", "COMPLETED")]
    assert wf.tasks[-1].output_data == {"result": 42}


def test_workflow_test_stops_at_a_task_without_mock(api):
    request = WorkflowTestRequest.from_dict({
        "name": "unmocked", "workflowDef": {"name": "unmocked", "version": 1, "tasks": [wt("a"), wt("b")]},
        "taskRefToMockOutput": {"a": [{"status": "COMPLETED", "output": {}}]}})
    wf = api.test_workflow(request)
    assert wf.status == "RUNNING"
    assert [(t.reference_task_name, t.status) for t in wf.tasks] == [("a", "COMPLETED"), ("b", "SCHEDULED")]


def test_workflow_test_execution_time_triggers_a_timeout(api):
    request = WorkflowTestRequest.from_dict({
        "name": "slowmock", "workflowDef": {"name": "slowmock", "version": 1, "tasks": [
            {**wt("slow"), "taskDefinition": {"name": "slow", "timeoutSeconds": 2, "responseTimeoutSeconds": 2,
                                                 "retryCount": 0, "timeoutPolicy": "TIME_OUT_WF"}}]},
        "taskRefToMockOutput": {"slow": [{"status": "IN_PROGRESS", "output": {}, "executionTime": 5000}]}})
    wf = api.test_workflow(request)
    assert wf.status == "TIMED_OUT" and wf.tasks[0].status == "TIMED_OUT"


def test_workflow_test_drives_sub_workflows(api):
    child = {"name": "child_mocked", "version": 1, "tasks": [wt("inner")]}
    request = WorkflowTestRequest.from_dict({
        "name": "parent_mocked", "workflowDef": {"name": "parent_mocked", "version": 1, "tasks": [
            wt("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "child_mocked", "workflowDefinition": child})]},
        "taskRefToMockOutput": {},
        "subWorkflowTestRequest": {"sub": {"name": "child_mocked",
                                           "taskRefToMockOutput": {"inner": [{"status": "COMPLETED",
                                                                              "output": {"deep": 1}}]}}}})
    wf = api.test_workflow(request)
    assert wf.status == "COMPLETED" and wf.tasks[0].output_data["deep"] == 1


# ------------------------------------------------------------------------------ operations, one option at a time
def register(api, name, tasks, version=1, **fields):
    api.register_workflow_def(WorkflowDef.from_dict({"name": name, "version": version, "tasks": tasks, **fields}),
                              overwrite=True)


def settled(api, wf_id, check, timeout=10):
    """The workflow once `check(wf)` holds (a real server moves SUB_WORKFLOW tasks asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        wf = api.get_workflow(wf_id)
        if check(wf) or time.monotonic() > deadline:
            return wf
        time.sleep(0.05)


def test_terminate_starts_the_failure_workflow_only_when_asked(api):
    register(api, "on_terminate", [wt("h", "HUMAN")])
    register(api, "terminable", [wt("h", "HUMAN")], failureWorkflow="on_terminate")
    plain = api.start_workflow(StartWorkflowRequest(name="terminable", input={"k": "v"}))
    api.terminate_workflow(plain, reason="plain")
    assert "conductor.failure_workflow" not in (api.get_workflow(plain).output or {})
    asked = api.start_workflow(StartWorkflowRequest(name="terminable", input={"k": "v"}))
    api.terminate_workflow(asked, reason="with compensation", trigger_failure_workflow=True)
    wf = api.get_workflow(asked)
    assert (wf.status, wf.reason_for_incompletion) == ("TERMINATED", "with compensation")
    failure = api.get_workflow(wf.output["conductor.failure_workflow"])
    assert failure.workflow_name == "on_terminate" and failure.input["workflowId"] == asked
    assert (failure.input["failureStatus"], failure.input["k"]) == ("TERMINATED", "v")


def test_restart_with_the_latest_definition(api):
    register(api, "evolving", [wt("one", "HUMAN")], version=1)
    register(api, "evolving", [wt("two", "HUMAN")], version=2)
    wf_id = api.start_workflow(StartWorkflowRequest(name="evolving", version=1))
    api.terminate_workflow(wf_id)
    api.restart_workflow(wf_id)  # on the definition it ran with
    assert statuses(api, wf_id) == [("one", "IN_PROGRESS")] and api.get_workflow(wf_id).workflow_version == 1
    api.terminate_workflow(wf_id)
    api.restart_workflow(wf_id, use_latest_definitions=True)
    wf = api.get_workflow(wf_id)
    assert [(t.reference_task_name, t.status) for t in wf.tasks] == [("two", "IN_PROGRESS")]
    assert (wf.status, wf.workflow_version) == ("RUNNING", 2)


def test_rerun_with_a_new_workflow_input(api):
    register(api, "rerun_input", [wt("a", "HUMAN", inputParameters={"v": "${workflow.input.v}"}),
                                  wt("b", "HUMAN", inputParameters={"v": "${workflow.input.v}"})])
    wf_id = api.start_workflow(StartWorkflowRequest(name="rerun_input", input={"v": 1}))
    for ref in ("a", "b"):
        api.update_task_by_ref_name(wf_id, ref, "COMPLETED", {})
    assert api.get_workflow(wf_id).status == "COMPLETED"

    api.rerun_workflow(wf_id, RerunWorkflowRequest(workflow_input={"v": 2}))  # the whole workflow, anew
    wf = api.get_workflow(wf_id)
    assert (wf.status, wf.input) == ("RUNNING", {"v": 2})
    assert [(t.reference_task_name, t.input_data["v"]) for t in wf.tasks] == [("a", 2)]
    for ref in ("a", "b"):
        api.update_task_by_ref_name(wf_id, ref, "COMPLETED", {})
    done = wait_for(api, wf_id)  # real Conductor ends the workflow asynchronously after b's update
    assert done.status == "COMPLETED"

    b = done.tasks[1]
    api.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_task_id=b.task_id, workflow_input={"v": 3},
                                                   task_input={"v": "given"}))
    wf = api.get_workflow(wf_id)
    assert (wf.status, wf.input) == ("RUNNING", {"v": 3})
    assert [(t.reference_task_name, t.status, t.input_data["v"]) for t in wf.tasks] == [
        ("a", "COMPLETED", 2), ("b", "IN_PROGRESS", "given")]


def test_rerun_from_a_task_of_a_sub_workflow(api):
    register(api, "rerun_child", [wt("c1", "HUMAN"), wt("c2", "HUMAN")])
    register(api, "rerun_parent", [wt("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "rerun_child", "version": 1}),
                                   wt("after", "HUMAN")])
    wf_id = api.start_workflow(StartWorkflowRequest(name="rerun_parent"))
    child_id = settled(api, wf_id, lambda wf: wf.tasks and wf.tasks[0].sub_workflow_id).tasks[0].sub_workflow_id
    for ref in ("c1", "c2"):
        api.update_task_by_ref_name(child_id, ref, "COMPLETED", {"ref": ref})
    settled(api, wf_id, _after_waits)  # (a real server completes the SUB_WORKFLOW task asynchronously)
    api.update_task_by_ref_name(wf_id, "after", "COMPLETED", {})
    assert settled(api, wf_id, lambda wf: wf.status == "COMPLETED").status == "COMPLETED"

    c2 = api.get_workflow(child_id).tasks[1]
    assert api.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_task_id=c2.task_id,
                                                          task_input={"again": True})) == wf_id
    parent = api.get_workflow(wf_id)  # the SUB_WORKFLOW task waits on the same child again; what followed it stays
    assert parent.status == "RUNNING"
    assert [(t.reference_task_name, t.status, t.sub_workflow_id) for t in parent.tasks] == [
        ("sub", "IN_PROGRESS", child_id), ("after", "COMPLETED", None)]
    child = settled(api, child_id, lambda wf: wf.tasks[-1].status == "IN_PROGRESS")
    assert child.status == "RUNNING"
    assert [(t.reference_task_name, t.status) for t in child.tasks] == [("c1", "COMPLETED"), ("c2", "IN_PROGRESS")]
    assert child.tasks[1].input_data == {"again": True}

    api.update_task_by_ref_name(child_id, "c2", "COMPLETED", {"ref": "c2 again"})
    parent = settled(api, wf_id, lambda wf: wf.status == "COMPLETED")  # `after` ran before: it does not run again
    assert parent.status == "COMPLETED" and parent.tasks[0].output_data["ref"] == "c2 again"
    assert [(t.reference_task_name, t.status) for t in parent.tasks] == [("sub", "COMPLETED"), ("after", "COMPLETED")]


def _after_waits(wf) -> bool:
    """The parent's SUB_WORKFLOW task is done and the task after it waits (is IN_PROGRESS)."""
    after = wf.get_task(task_reference_name="after")
    return wf.tasks[0].status == "COMPLETED" and after is not None and after.status == "IN_PROGRESS"


def test_rerun_from_a_task_that_is_nowhere_is_a_bad_request(api):
    register(api, "rerun_nowhere", [wt("h", "HUMAN")])
    wf_id = api.start_workflow(StartWorkflowRequest(name="rerun_nowhere"))
    api.terminate_workflow(wf_id)
    with pytest.raises(BadRequestError):
        api.rerun_workflow(wf_id, RerunWorkflowRequest(re_run_from_task_id=str(uuid.uuid4())))


def test_skip_refuses_the_wrong_state(api):
    register(api, "skip_states", [wt("first", "HUMAN"), wt("second", "HUMAN")])
    wf_id = api.start_workflow(StartWorkflowRequest(name="skip_states"))
    with pytest.raises(ServerError, match="does not exist"):
        api.skip_task_from_workflow(wf_id, "no_such_ref")
    with pytest.raises(ServerError, match="already been processed"):
        api.skip_task_from_workflow(wf_id, "first")  # already scheduled
    api.pause_workflow(wf_id)
    with pytest.raises(ServerError, match="not running"):
        api.skip_task_from_workflow(wf_id, "second")
    api.resume_workflow(wf_id)
    api.terminate_workflow(wf_id)
    with pytest.raises(ServerError, match="not running"):
        api.skip_task_from_workflow(wf_id, "second")
