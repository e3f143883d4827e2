"""The official SDK's workflow_ops sequence, step by step, as on a real server; and workflow tests with mocks."""

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conductor_nb import (
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
        wt("first", "HUMAN"), wt("second", "HUMAN"), wt("third", "NOOP", inputParameters={"s": "${second.output.v}"})]})
    wf_id = api.start_workflow(StartWorkflowRequest(name="skippy", workflow_def=wf_def))
    api.skip_task_from_workflow(wf_id, "second", SkipTaskRequest(task_output={"v": "skipped!"}))
    with pytest.raises(ServerError, match="already been processed"):
        api.skip_task_from_workflow(wf_id, "second")
    api.update_task_by_ref_name(wf_id, "first", "COMPLETED", {})
    wf = api.get_workflow(wf_id)
    assert wf.status == "COMPLETED"
    assert [(t.reference_task_name, t.status) for t in wf.tasks] == [  # the skipped task has seq 0: listed first
        ("second", "SKIPPED"), ("first", "COMPLETED"), ("third", "COMPLETED")]
    assert wf.tasks[2].input_data == {"s": "skipped!"}


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
