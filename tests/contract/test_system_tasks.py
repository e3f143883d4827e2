"""System tasks: sub-workflows, variables, termination, waits, HTTP, scripts, jq and events."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conductor_nb import (MetadataClient, NotFoundError, StartWorkflowRequest, TaskClient, TaskDef, WorkflowClient,
                          WorkflowDef, WorkflowExecutor, WorkflowRun)

from workflow_helpers import Workers, run, start, wait_for, wt


# --------------------------------------------------------------------------------------------- sub-workflows
def register(api, name, tasks, **fields):
    api.register_workflow_def(WorkflowDef.from_dict({"name": name, "version": 1, "tasks": tasks, **fields}),
                              overwrite=True)


def test_sub_workflow_by_name_passes_input_and_returns_output(api):
    register(api, "child", [wt("c1", "SET_VARIABLE", inputParameters={"v": "${workflow.input.x}"})],
             outputParameters={"got": "${workflow.input.x}", "parent": "${workflow.parentWorkflowId}"})
    sub = wt("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "child"}, inputParameters={"x": "${workflow.input.x}"})
    result = run(api, [sub], {"x": 42})
    assert result.status == "COMPLETED"
    task = result.tasks[0]
    child = api.get_workflow(task.sub_workflow_id)
    assert child.parent_workflow_id == result.workflow_id and child.parent_workflow_task_id == task.task_id
    assert task.output_data == {"got": 42, "parent": result.workflow_id, "subWorkflowId": child.workflow_id}
    assert task.input_data["subWorkflowName"] == "child" and task.input_data["workflowInput"] == {"x": 42}


def test_inline_sub_workflow_definition(api):
    child = {"name": "inline_child", "version": 1, "tasks": [wt("n", "NOOP")],
             "outputParameters": {"ok": True}}
    result = run(api, [wt("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "inline_child",
                                                                     "workflowDefinition": child})])
    assert result.status == "COMPLETED" and result.tasks[0].output_data["ok"] is True


def test_a_child_waiting_on_a_worker_keeps_the_parent_running_until_it_ends(api):
    register(api, "child_w", [wt("child_work")])
    with Workers(api, child_work=lambda i: {"done": 1}):
        result = run(api, [wt("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "child_w", "version": 1}),
                           wt("after", "NOOP")])
    assert result.status == "COMPLETED"
    assert [t.status for t in result.tasks] == ["COMPLETED", "COMPLETED"]


def test_a_failed_child_fails_the_parent(api):
    register(api, "child_f", [wt("t", "TERMINATE", inputParameters={"terminationStatus": "FAILED",
                                                                   "terminationReason": "child says no"})])
    result = run(api, [wt("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "child_f"})])
    assert result.status == "FAILED"
    child_id = result.tasks[0].sub_workflow_id
    assert result.tasks[0].status == "FAILED"
    assert result.tasks[0].reason_for_incompletion == f"Sub workflow child_f.1/{child_id} failure reason: child says no"


def test_terminating_the_parent_terminates_the_child(api):
    register(api, "child_h", [wt("hold", "HUMAN")])
    parent_id = start(api, [wt("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "child_h"})])
    child_id = api.get_workflow(parent_id).tasks[0].sub_workflow_id
    api.terminate_workflow(parent_id, reason="stop all")
    assert api.get_workflow(child_id).status == "TERMINATED"
    assert api.get_workflow(parent_id).tasks[0].status == "CANCELED"


def test_a_missing_sub_workflow_definition_fails_the_task(api):
    result = run(api, [wt("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "no_such_child"})])
    assert result.status == "FAILED" and "no_such_child" in result.tasks[0].reason_for_incompletion


def test_start_workflow_starts_and_moves_on(api):
    register(api, "started", [wt("h", "HUMAN")])
    result = run(api, [wt("s", "START_WORKFLOW", inputParameters={"startWorkflow": {"name": "started",
                                                                                   "input": {"a": 1}}})])
    assert result.status == "COMPLETED"
    other = api.get_workflow(result.tasks[0].output_data["workflowId"])
    assert other.status == "RUNNING" and other.input == {"a": 1}


# ---------------------------------------------------------------------------------- variables and termination
def test_set_variable_merges_into_workflow_variables(api):
    tasks = [wt("v1", "SET_VARIABLE", inputParameters={"a": 1, "b": "${workflow.input.b}"}),
             wt("v2", "SET_VARIABLE", inputParameters={"a": 2}),
             wt("read", "INLINE", inputParameters={"evaluatorType": "value-param", "expression": "a",
                                                   "a": "${workflow.variables.a}"})]
    result = run(api, tasks, {"b": "x"}, variables={"pre": True})
    assert result.variables == {"pre": True, "a": 2, "b": "x"}
    assert result.tasks[2].output_data == {"result": 2}


def test_a_noop_completes_at_once_and_keeps_no_input(api):
    result = run(api, [wt("n", "NOOP", inputParameters={"x": "${workflow.input.x}"})], {"x": 1})
    assert result.status == "COMPLETED" and result.tasks[0].status == "COMPLETED"
    assert not result.tasks[0].input_data  # Conductor's NoopTaskMapper resolves no inputParameters


def test_set_variable_over_the_size_limit_fails_terminally(api):
    result = run(api, [wt("v", "SET_VARIABLE", inputParameters={"big": "x" * 300_000})])
    assert result.status == "FAILED" and result.tasks[0].status == "FAILED_WITH_TERMINAL_ERROR"


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED", "TERMINATED"])
def test_terminate_ends_the_workflow_with_its_status_and_output(api, status):
    tasks = [wt("t", "TERMINATE", inputParameters={"terminationStatus": status, "workflowOutput": {"r": 1}}),
             wt("never", "NOOP")]
    result = run(api, tasks, outputParameters={"ignored": True})
    assert result.status == status and result.output == {"r": 1}
    assert result.reason_for_incompletion == f"Workflow is {status} by TERMINATE task: {result.tasks[0].task_id}"
    assert [t.reference_task_name for t in result.tasks] == ["t"]


def test_terminate_rejects_an_unknown_status(api):
    result = run(api, [wt("t", "TERMINATE", inputParameters={"terminationStatus": "DONE"})])
    assert result.status == "FAILED" and result.tasks[0].status == "FAILED"


def test_a_failed_workflow_starts_its_failure_workflow(api):
    register(api, "on_failure", [wt("h", "HUMAN")])
    api.register_task_defs([TaskDef(name="fragile", retry_count=0)])

    def fail(_):
        raise RuntimeError("fragile broke")

    with Workers(api, fragile=fail):
        result = run(api, [wt("fragile")], {"k": "v"}, failureWorkflow="on_failure")
    assert result.status == "FAILED"
    failure_id = result.output["conductor.failure_workflow"]
    failure = api.get_workflow(failure_id)
    assert failure.input["workflowId"] == result.workflow_id and failure.input["k"] == "v"
    assert failure.input["failureStatus"] == "FAILED" and "fragile broke" in failure.input["reason"]


def test_dynamic_task_picks_its_worker_from_input(api):
    dyn = wt("dyn", "DYNAMIC", dynamicTaskNameParam="which", inputParameters={"which": "${workflow.input.w}", "v": 3})
    with Workers(api, chosen=lambda i: {"v": i["v"]}):
        result = run(api, [dyn], {"w": "chosen"})
    assert result.status == "COMPLETED"
    assert (result.tasks[0].task_type, result.tasks[0].output_data) == ("chosen", {"v": 3})


def test_a_dynamic_task_without_a_name_fails_the_workflow(api):
    dyn = wt("dyn", "DYNAMIC", dynamicTaskNameParam="which", inputParameters={"which": "${workflow.input.w}"})
    result = run(api, [wt("n", "NOOP"), dyn], {}, outputParameters={"seen": "${workflow.input.w}"})
    assert result.status == "FAILED" and [t.task_type for t in result.tasks] == ["NOOP"]
    wf = api.get_workflow(result.workflow_id)
    assert wf.reason_for_incompletion == ("Cannot map a dynamic task based on the parameter and input. "
                                          "Parameter= which, input= {which=null}")
    assert wf.output == {"seen": None}  # the output parameters are evaluated as the workflow fails


# ------------------------------------------------------------------------------------------------------ waits
def test_wait_for_a_duration_completes_by_itself(api):
    began = time.monotonic()
    result = run(api, [wt("w", "WAIT", inputParameters={"duration": "1 second"}), wt("n", "NOOP")])
    assert result.status == "COMPLETED" and time.monotonic() - began >= 1


@pytest.mark.parametrize("inputs", [{"duration": "2 fortnights"}, {"until": "next tuesday"},
                                    {"duration": "1s", "until": "2030-01-01"}])
def test_bad_wait_inputs_fail_terminally(api, inputs):
    result = run(api, [wt("w", "WAIT", inputParameters=inputs)])
    assert result.tasks[0].status == "FAILED_WITH_TERMINAL_ERROR"


def test_a_wait_without_time_returns_a_sync_execute_and_a_signal_completes_it(api):
    result = run(api, [wt("w", "WAIT"), wt("after", "INLINE", inputParameters={
        "evaluatorType": "value-param", "expression": "s", "s": "${w.output.said}"})])
    assert result.status == "RUNNING" and result.signal_timeout is False
    api.signal_workflow_task(result.workflow_id, "COMPLETED", {"said": "go"})
    done = wait_for(api, result.workflow_id)
    assert done.status == "COMPLETED" and done.tasks[1].output_data == {"result": "go"}


TIMED_WAITS = [{"duration": "1 hour"}, {"until": "2099-01-01 00:00 UTC"}]


@pytest.mark.parametrize("inputs", TIMED_WAITS, ids=["duration", "until"])
def test_a_signal_completes_a_timed_wait_early(api, inputs):
    wf_id = start(api, [wt("w", "WAIT", inputParameters=inputs), wt("after", "SET_VARIABLE",
                                                                     inputParameters={"s": "${w.output.said}"})])
    assert wait_for(api, wf_id, ("RUNNING",)).tasks[0].status == "IN_PROGRESS"
    api.signal_workflow_task(wf_id, "COMPLETED", {"said": "early"})
    done = wait_for(api, wf_id)
    assert done.status == "COMPLETED" and done.variables == {"s": "early"}
    assert done.tasks[0].output_data == {"said": "early"}


@pytest.mark.parametrize("inputs", TIMED_WAITS, ids=["duration", "until"])
def test_a_task_update_completes_a_timed_wait_early(api, inputs):
    wf_id = start(api, [wt("w", "WAIT", inputParameters=inputs)])
    api.update_task_by_ref_name(wf_id, "w", "COMPLETED", {"by": "update"})
    done = wait_for(api, wf_id)
    assert done.status == "COMPLETED" and done.output == {"by": "update"}


def test_a_sync_execute_does_not_return_at_a_timed_wait(api):
    result = run(api, [wt("w", "WAIT", inputParameters={"duration": "1 hour"})], wait=1)
    assert result.status == "RUNNING" and result.signal_timeout is True
    api.signal_workflow_task(result.workflow_id, "COMPLETED", {})
    assert wait_for(api, result.workflow_id).status == "COMPLETED"


def test_a_sync_signal_answers_once_the_workflow_blocks_again_or_ends(api):
    wf_id = start(api, [wt("first", "WAIT", inputParameters={"duration": "1 hour"}), wt("second", "WAIT")])
    run = api.signal_workflow_task_sync(wf_id, "COMPLETED", {"n": 1})
    assert (run.workflow_id, run.target_workflow_id, run.response_type) == (wf_id, wf_id, "TARGET_WORKFLOW")
    assert run.status == run.target_workflow_status == "RUNNING" and run.signal_timeout is False
    assert [(t.reference_task_name, t.status) for t in run.tasks] == [("first", "COMPLETED"),
                                                                     ("second", "IN_PROGRESS")]
    run = api.signal_workflow_task_sync(wf_id, "COMPLETED", {"n": 2})
    assert run.status == "COMPLETED" and run.output == {"n": 2} and run.signal_timeout is False


def test_a_sync_signal_answers_the_blocking_task(api):
    wf_id = start(api, [wt("first", "WAIT"), wt("second", "WAIT", inputParameters={"why": "approval"})])
    task_run = api.signal_workflow_task_sync(wf_id, "COMPLETED", {}, "BLOCKING_TASK")
    assert (task_run.response_type, task_run.target_workflow_id, task_run.workflow_id) == (
        "BLOCKING_TASK", wf_id, wf_id)
    assert task_run.status == "IN_PROGRESS" and task_run.input == {"why": "approval"}
    assert (task_run.extra["taskType"], task_run.extra["referenceTaskName"]) == ("WAIT", "second")
    assert task_run.extra["taskId"] == api.get_workflow(wf_id).tasks[1].task_id


def test_a_sync_signal_for_the_blocking_task_answers_nothing_once_the_workflow_ends(api):
    wf_id = start(api, [wt("only", "WAIT")])
    assert api.signal_workflow_task_sync(wf_id, "COMPLETED", {}, "BLOCKING_TASK_INPUT") is None
    assert api.get_workflow(wf_id).status == "COMPLETED"


def test_a_signal_reaches_a_wait_in_a_running_sub_workflow(api):
    register(api, "child_sig", [wt("timed", "WAIT", inputParameters={"duration": "1 hour"}), wt("gate", "WAIT")],
             outputParameters={"said": "${gate.output.said}"})
    parent_id = start(api, [wt("sub", "SUB_WORKFLOW", subWorkflowParam={"name": "child_sig", "version": 1})])
    child_id = _started_child(api, parent_id)
    blocking = api.signal_workflow_task_sync(parent_id, "COMPLETED", {}, "BLOCKING_WORKFLOW")
    assert (blocking.response_type, blocking.workflow_id, blocking.target_workflow_id) == (
        "BLOCKING_WORKFLOW", child_id, parent_id)
    assert [t.status for t in blocking.tasks] == ["COMPLETED", "IN_PROGRESS"]
    api.signal_workflow_task(parent_id, "COMPLETED", {"said": "done"})
    assert wait_for(api, child_id).status == "COMPLETED"
    parent = wait_for(api, parent_id)
    assert parent.status == "COMPLETED" and parent.output == {"said": "done", "subWorkflowId": child_id}


def _executor(api):
    """A WorkflowExecutor (the official SDK's one-stop object) over the home under test."""
    executor = WorkflowExecutor.__new__(WorkflowExecutor)
    executor.metadata_client, executor.workflow_client, executor.task_client = (
        MetadataClient(None, api), WorkflowClient(None, api), TaskClient(None, api))
    return executor


def test_the_executor_signals_as_the_official_sdk(api):
    executor = _executor(api)
    wf_id = start(api, [wt("timed", "WAIT", inputParameters={"duration": "1 hour"}), wt("gate", "WAIT")])
    answer = executor.signal(wf_id, "COMPLETED", {"k": 1})
    assert isinstance(answer, WorkflowRun) and answer.response_type == "TARGET_WORKFLOW"
    assert answer.workflow_id == wf_id and answer.status == "RUNNING"
    blocking = executor.signal(wf_id, "IN_PROGRESS", {"k": 2}, return_strategy="BLOCKING_TASK")
    assert (blocking.response_type, blocking.extra["referenceTaskName"]) == ("BLOCKING_TASK", "gate")
    assert executor.signal_async(wf_id, "COMPLETED", {"k": 3}) is None
    assert wait_for(api, wf_id).output == {"k": 3}
    with pytest.raises(NotFoundError):
        executor.signal(wf_id, "COMPLETED", {})
    assert executor.signal_async(wf_id, "COMPLETED", {}) is None


def _started_child(api, parent_id):
    """The child of the parent's first task once it waits (Conductor starts a SUB_WORKFLOW asynchronously)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        child_id = api.get_workflow(parent_id).tasks[0].sub_workflow_id
        if child_id and [t.status for t in api.get_workflow(child_id).tasks] == ["IN_PROGRESS"]:
            return child_id
        time.sleep(0.05)
    raise AssertionError(f"the child of {parent_id} did not start")


def test_a_signal_with_no_wait_to_complete(api):
    wf_id = start(api, [wt("hold", "HUMAN")])
    api.signal_workflow_task(wf_id, "COMPLETED", {})  # nothing to do, and no error
    with pytest.raises(NotFoundError, match="Found no blocked task in workflow"):
        api.signal_workflow_task_sync(wf_id, "COMPLETED", {})
    assert api.get_workflow(wf_id).tasks[0].status == "IN_PROGRESS"


@pytest.mark.parametrize("until", ["2020-01-01 00:00 UTC", "2024-12-25 05:25 PST", "2020-01-01 00:00 IST",
                                   "2020-01-01 00:00 GMT+05:30"])
def test_a_wait_until_a_past_date_completes_at_once(api, until):
    result = run(api, [wt("w", "WAIT", inputParameters={"until": until})])  # PST: the official SDK's example
    assert result.status == "COMPLETED", result.tasks[0].reason_for_incompletion


def test_human_task_waits_for_an_update(api):
    wf_id = start(api, [wt("approve", "HUMAN")])
    assert api.get_workflow(wf_id).tasks[0].status == "IN_PROGRESS"
    api.update_task_by_ref_name(wf_id, "approve", "COMPLETED", {"approved": True})
    assert api.get_workflow(wf_id).output == {"approved": True}


# ------------------------------------------------------------------------------------------------------- http
class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/missing"):
            return self._send(404, {"error": "not here"})
        if self.path.startswith("/number"):
            return self._send(200, 42)
        if self.path.startswith("/slow"):
            time.sleep(1)
        self._send(200, {"path": self.path, "hello": "world"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._send(200, {"echo": body, "type": self.headers["Content-Type"]})

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def http_task(ref, **request):
    return wt(ref, "HTTP", inputParameters={"http_request": request})


def test_http_get_parses_the_json_body(api, http_server):
    result = run(api, [http_task("h", uri=f"{http_server}/hi", method="GET")])
    assert result.status == "COMPLETED"
    response = result.tasks[0].output_data["response"]
    assert response["statusCode"] == 200 and response["body"] == {"path": "/hi", "hello": "world"}
    assert response["reasonPhrase"] == "OK" and response["headers"]["Content-Type"] == ["application/json"]


def test_http_post_sends_a_json_body(api, http_server):
    result = run(api, [http_task("h", uri=f"{http_server}/p", method="POST", body={"a": [1, 2]})])
    assert result.tasks[0].output_data["response"]["body"] == {"echo": {"a": [1, 2]}, "type": "application/json"}


def test_http_bare_number_body_is_a_double(api, http_server):
    result = run(api, [http_task("h", uri=f"{http_server}/number")])
    assert result.tasks[0].output_data["response"]["body"] == 42.0
    assert isinstance(result.tasks[0].output_data["response"]["body"], float)


def test_http_non_2xx_fails_the_task(api, http_server):
    uri = f"{http_server}/missing"
    result = run(api, [http_task("h", uri=uri, method="GET")])
    assert result.status == "FAILED"
    task = result.tasks[0]
    error = f'java.lang.Exception: 404 Not Found on GET request for "{uri}": "{{"error": "not here"}}"'
    assert task.status == "FAILED" and task.output_data == {"response": error}  # Conductor's HTTP client's words
    assert task.reason_for_incompletion == f"Failed to invoke HTTP task due to: {error}"


def test_http_read_timeout_fails_the_task(api, http_server):
    uri = f"{http_server}/slow"
    result = run(api, [http_task("h", uri=uri, method="GET", readTimeOut=200)])
    assert result.status == "FAILED"
    assert result.tasks[0].output_data == {
        "response": f'java.lang.Exception: I/O error on GET request for "{uri}": Read timed out'}


def test_http_connection_refused_fails_the_task(api):
    uri = "http://127.0.0.1:9/nothing"
    result = run(api, [http_task("h", uri=uri, method="GET", connectionTimeOut=500)])
    assert result.status == "FAILED"
    assert result.tasks[0].output_data == {"response": f'java.lang.Exception: I/O error on GET request for "{uri}": '
                                                       "Connect to http://127.0.0.1:9 failed: Connection refused"}


# ------------------------------------------------------------------------------------------- scripts and jq
def inline(ref, expression, **inputs):
    return wt(ref, "INLINE", inputParameters={"evaluatorType": "graaljs", "expression": expression, **inputs})


def test_inline_javascript_sees_its_input_as_dollar(api):
    result = run(api, [inline("js", "function f() { return {greeting: 'Hello ' + $.name, n: $.n + 1}; } f();",
                              name="${workflow.input.name}", n=1)], {"name": "Orkes"})
    assert result.status == "COMPLETED"
    assert result.tasks[0].output_data == {"result": {"greeting": "Hello Orkes", "n": 2}}


def test_inline_script_error_fails_terminally_with_the_message(api):
    result = run(api, [inline("js", "throw new Error('bad things')")])
    task = result.tasks[0]
    assert task.status == "FAILED_WITH_TERMINAL_ERROR" and "bad things" in task.output_data["error"]


def test_a_runaway_script_fails_with_a_clear_reason_and_the_engine_goes_on(api):
    slow_id = start(api, [inline("spin", "while (true) {}")])
    quick = run(api, [inline("quick", "1 + 1")])  # served while the runaway script is still spinning
    assert quick.status == "COMPLETED" and quick.tasks[0].output_data == {"result": 2}
    slow = wait_for(api, slow_id, timeout=15)
    assert slow.status == "FAILED" and "timed out" in slow.tasks[0].reason_for_incompletion


def test_a_loop_of_many_scripts_with_large_inputs_completes(api):
    # Each evaluation used to leave its inputs compiled in the sandbox's V8 heap: this loop failed near iteration
    # 630 ("Unable to evaluate condition ..."). (A loop of 2,000 iterations without the padding completes too, but
    # takes about 20 s on the embedded engine, most of it the loop's own bookkeeping.)
    body = [inline("js", "$.i * 2", i="${loop.output.iteration}", pad="${workflow.input.pad}")]
    loop = wt("loop", "DO_WHILE", loopCondition="$.loop['iteration'] < 800", loopOver=body)
    result = run(api, [loop], {"pad": "x" * 40_000}, wait=60)
    assert result.status == "COMPLETED", result.reason_for_incompletion
    assert result.tasks[0].output_data["iteration"] == 800
    assert result.tasks[-1].output_data == {"result": 1600}


def test_inline_scripts_cannot_reach_files_network_or_environment(api):
    probe = ("[typeof require, typeof process, typeof fetch, typeof XMLHttpRequest, typeof std, typeof os]"
             ".join(',')")
    result = run(api, [inline("probe", probe)])
    assert result.tasks[0].output_data["result"] == "undefined,undefined,undefined,undefined,undefined,undefined"


def test_lambda_runs_its_script_expression_as_a_function(api):
    result = run(api, [wt("l", "LAMBDA", scriptExpression="return {sum: $.a + $.b};", inputParameters={"a": 1, "b": 2})])
    assert result.tasks[0].output_data == {"result": {"sum": 3}}


def test_json_jq_transform(api):
    jq = wt("jq", "JSON_JQ_TRANSFORM", inputParameters={
        "key1": {"value1": ["a", "b"]}, "key2": {"value2": ["c"]},
        "queryExpression": "{ key3: (.key1.value1 + .key2.value2) }"})
    result = run(api, [jq])
    assert result.tasks[0].output_data == {"result": {"key3": ["a", "b", "c"]},
                                           "resultList": [{"key3": ["a", "b", "c"]}]}


def test_json_jq_error_fails_the_task(api):
    result = run(api, [wt("jq", "JSON_JQ_TRANSFORM", inputParameters={"queryExpression": ".a | nonsense("})])
    assert result.status == "FAILED" and result.tasks[0].output_data["error"]


# ------------------------------------------------------------------------------------------- events and noop
def test_event_to_the_conductor_sink_records_what_it_published(api):
    result = run(api, [wt("ev", "EVENT", sink="conductor", inputParameters={"k": "v"})], name="ev_flow")
    out = result.tasks[0].output_data
    assert result.status == "COMPLETED"
    assert out["k"] == "v" and out["event_produced"] == "conductor:ev_flow:ev" and out["workflowType"] == "ev_flow"
    assert out["workflowInstanceId"] == result.workflow_id and out["workflowVersion"] == 1
    assert out["correlationId"] is None and out["taskToDomain"] == {}
    assert out["sink"] == "conductor" and out["asyncComplete"] is False  # the task's input (EventTaskMapper)


def test_event_output_carries_the_workflow_s_task_to_domain(api):
    wf_def = WorkflowDef.from_dict({"name": "ev_domains", "version": 1, "tasks": [
        wt("ev", "EVENT", sink="conductor:events", inputParameters={"k": "v"})]})
    request = StartWorkflowRequest(name="ev_domains", workflow_def=wf_def, correlation_id="c-1",
                                   task_to_domain={"worker_a": "blue"})
    result = api.execute_workflow(request, wait_for_seconds=10)
    out = result.tasks[0].output_data
    assert out["taskToDomain"] == {"worker_a": "blue"} and out["correlationId"] == "c-1"
    assert out["event_produced"] == "conductor:ev_domains:events"  # Conductor puts the workflow's name in


def test_event_to_an_unavailable_sink_fails(api):
    result = run(api, [wt("ev", "EVENT", sink="sqs:some_queue", inputParameters={"k": "v"})], name="ev_lost")
    assert result.status == "FAILED"
    task = result.tasks[0]
    assert task.reason_for_incompletion == (f"Error loading queue:sqs:some_queue, for task:{task.task_id}, error: "
                                            "Unknown queue type sqs")
    assert task.output_data == {  # the event it meant to publish, which is also the failed workflow's output
        "k": "v", "sink": "sqs:some_queue", "asyncComplete": False, "event_produced": "sqs:some_queue",
        "workflowInstanceId": result.workflow_id, "workflowType": "ev_lost", "workflowVersion": 1,
        "correlationId": None, "taskToDomain": {}}
    assert api.get_workflow(result.workflow_id).output == task.output_data
