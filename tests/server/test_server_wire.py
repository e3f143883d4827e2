"""The server speaks Conductor's wire format: status codes, ErrorResponse bodies, text/plain ids, 204s, NON_NULL."""

import socket
import threading
from types import SimpleNamespace

import pytest
import requests

from conductor_nb import ConflictError, NotFoundError, WorkflowDef
from conductor_nb.http import HttpConductor
from conductor_nb.server import ConductorServer

FLOW = {"name": "flow", "version": 1, "tasks": [{"name": "a", "taskReferenceName": "a_ref", "type": "SIMPLE"}]}


def has_nulls(value):
    if isinstance(value, dict):
        return any(v is None or has_nulls(v) for v in value.values())
    if isinstance(value, list):
        return any(has_nulls(v) for v in value)
    return False


@pytest.fixture
def flow(http, api_url):
    assert http.post(f"{api_url}/metadata/workflow", json=FLOW).status_code == 200
    return "flow"


def test_start_returns_the_id_as_text_and_get_returns_json_without_nulls(http, api_url, flow):
    started = http.post(f"{api_url}/workflow", json={"name": flow, "input": {"x": 1}})
    assert started.status_code == 200 and started.headers["Content-Type"].startswith("text/plain")
    workflow_id = started.text
    got = http.get(f"{api_url}/workflow/{workflow_id}")
    assert got.status_code == 200 and got.headers["Content-Type"] == "application/json"
    body = got.json()
    assert body["workflowId"] == workflow_id and body["status"] == "RUNNING" and body["input"] == {"x": 1}
    assert not has_nulls(body)
    by_name = http.post(f"{api_url}/workflow/{flow}?correlationId=c-9", json={"y": 2})
    assert by_name.status_code == 200
    assert http.get(f"{api_url}/workflow/{by_name.text}").json()["correlationId"] == "c-9"


def test_void_endpoints_answer_200_with_an_empty_body(http, api_url, flow):
    workflow_id = http.post(f"{api_url}/workflow", json={"name": flow}).text
    paused = http.put(f"{api_url}/workflow/{workflow_id}/pause")
    assert (paused.status_code, paused.content) == (200, b"")
    assert paused.headers["Content-Length"] == "0"


def test_errors_are_conductor_error_responses(http, api_url, flow):
    missing = http.get(f"{api_url}/workflow/nope")
    assert missing.status_code == 404
    # As Conductor 3.x: `instance` names the server's host, `code` is left out.
    assert missing.json() == {"status": 404, "message": "Workflow with id: nope not found.",
                              "instance": socket.gethostname(), "retryable": False}
    conflict = http.post(f"{api_url}/metadata/workflow", json=FLOW)
    assert conflict.status_code == 409 and conflict.json()["status"] == 409
    unknown = http.get(f"{api_url}/no/such/thing")
    assert unknown.status_code == 404 and unknown.json()["status"] == 404
    assert conflict.json()["instance"] == unknown.json()["instance"] == socket.gethostname()


def test_error_bodies_with_instance_map_to_the_engines_exceptions(api_url, flow):
    client = HttpConductor(api_url)
    with pytest.raises(NotFoundError) as missing:
        client.get_workflow("nope")
    assert (missing.value.status, missing.value.message) == (404, "Workflow with id: nope not found.")
    with pytest.raises(ConflictError) as conflict:
        client.register_workflow_def(WorkflowDef.from_dict(FLOW))
    assert conflict.value.status == 409 and not conflict.value.retryable


def test_bad_requests_name_the_field(http, api_url):
    invalid = http.post(f"{api_url}/metadata/workflow", json={
        "name": "bad", "tasks": [{"name": "a", "taskReferenceName": "r"}, {"name": "", "taskReferenceName": "s"}]})
    assert invalid.status_code == 400
    assert [v["path"] for v in invalid.json()["validationErrors"]] == ["tasks[1].name"]
    wrong_type = http.post(f"{api_url}/workflow", json={"name": "x", "priority": "high"})
    assert wrong_type.status_code == 400
    assert wrong_type.json()["validationErrors"] == [
        {"path": "priority", "message": "must be an integer", "invalidValue": "high"}]
    nested = http.post(f"{api_url}/workflow", json={"name": "x", "workflowDef": {"name": "x", "tasks": {}}})
    assert nested.json()["validationErrors"][0]["path"] == "workflowDef.tasks"
    malformed = http.post(f"{api_url}/workflow", data=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["validationErrors"][0]["path"] == "body"
    missing_body = http.post(f"{api_url}/workflow")
    assert missing_body.status_code == 400 and missing_body.json()["validationErrors"][0]["path"] == "body"
    bad_param = http.get(f"{api_url}/workflow/x?includeTasks=maybe")
    assert bad_param.status_code == 400 and bad_param.json()["validationErrors"][0]["path"] == "includeTasks"
    too_long = http.get(f"{api_url}/tasks/poll/batch/a?timeout=6000")
    assert too_long.status_code == 400 and "timeout" in too_long.json()["message"]


def test_scalars_are_coerced_as_jackson_does(http, api_url, flow):
    started = http.post(f"{api_url}/workflow", json={"name": flow, "version": "1", "priority": 5.0})
    assert started.status_code == 200
    assert http.get(f"{api_url}/workflow/{started.text}").json()["priority"] == 5


def test_a_wrong_method_is_405_with_allow(http, api_url):
    answer = http.delete(f"{api_url}/workflow")
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST" and answer.json()["status"] == 405


def test_polls_answer_204_or_an_empty_list_when_there_is_nothing(http, api_url):
    single = http.get(f"{api_url}/tasks/poll/a?workerid=w")
    assert (single.status_code, single.content) == (204, b"")
    batch = http.get(f"{api_url}/tasks/poll/batch/a?workerid=w&count=5&timeout=10")
    assert (batch.status_code, batch.json()) == (200, [])


def test_a_task_round_trip_over_rest(http, api_url, flow):
    workflow_id = http.post(f"{api_url}/workflow", json={"name": flow}).text
    task = http.get(f"{api_url}/tasks/poll/batch/a?workerid=w&count=1&timeout=1000").json()[0]
    assert task["status"] == "IN_PROGRESS" and task["workerId"] == "w"
    assert http.post(f"{api_url}/tasks/{task['taskId']}/log", data="step one",
                     headers={"Content-Type": "text/plain"}).status_code == 200
    updated = http.post(f"{api_url}/tasks", json={"taskId": task["taskId"], "workflowInstanceId": workflow_id,
                                                  "status": "COMPLETED", "outputData": {"v": 1}})
    assert (updated.status_code, updated.text) == (200, task["taskId"])
    assert updated.headers["Content-Type"].startswith("text/plain")
    assert [e["log"] for e in http.get(f"{api_url}/tasks/{task['taskId']}/log").json()] == ["step one"]
    assert http.get(f"{api_url}/workflow/{workflow_id}").json()["status"] == "COMPLETED"


def test_update_v2_hands_back_the_next_task_of_the_type(http, api_url, flow):
    first_wf = http.post(f"{api_url}/workflow", json={"name": flow}).text
    http.post(f"{api_url}/workflow", json={"name": flow})
    task = http.get(f"{api_url}/tasks/poll/a?workerid=w").json()
    result = {"taskId": task["taskId"], "workflowInstanceId": first_wf, "status": "COMPLETED", "workerId": "w"}
    following = http.post(f"{api_url}/tasks/update-v2", json=result)
    assert following.status_code == 200 and following.json()["workflowInstanceId"] != first_wf
    result["taskId"] = following.json()["taskId"]
    assert http.post(f"{api_url}/tasks/update-v2", json=result).status_code == 204


def test_signals_over_rest_async_and_sync(http, api_url):
    waits = {"name": "waits", "version": 1, "tasks": [
        {"name": "timed", "taskReferenceName": "timed", "type": "WAIT", "inputParameters": {"duration": "1 hour"}},
        {"name": "gate", "taskReferenceName": "gate", "type": "WAIT"}]}
    assert http.post(f"{api_url}/metadata/workflow", json=waits).status_code == 200
    workflow_id = http.post(f"{api_url}/workflow", json={"name": "waits"}).text
    sync = http.post(f"{api_url}/tasks/{workflow_id}/COMPLETED/signal/sync?returnStrategy=BLOCKING_TASK",
                     json={"k": 1})
    assert sync.status_code == 200 and sync.headers["Content-Type"] == "application/json"
    body = sync.json()
    assert not has_nulls(body) and "tasks" not in body
    assert (body["responseType"], body["targetWorkflowId"], body["targetWorkflowStatus"]) == (
        "BLOCKING_TASK", workflow_id, "RUNNING")
    assert (body["taskType"], body["referenceTaskName"], body["status"]) == ("WAIT", "gate", "IN_PROGRESS")
    signalled = http.post(f"{api_url}/tasks/{workflow_id}/COMPLETED/signal", json={"k": 2})
    assert (signalled.status_code, signalled.content) == (200, b"")
    assert http.get(f"{api_url}/workflow/{workflow_id}").json()["status"] == "COMPLETED"
    nothing = http.post(f"{api_url}/tasks/{workflow_id}/COMPLETED/signal/sync", json={})
    assert nothing.status_code == 404
    assert nothing.json()["message"] == f"Found no blocked task in workflow {workflow_id} to signal"
    bad = http.post(f"{api_url}/tasks/{workflow_id}/COMPLETED/signal/sync?returnStrategy=ALL", json={})
    assert bad.status_code == 400 and bad.json()["validationErrors"][0]["path"] == "returnStrategy"


def test_a_sync_signal_with_no_task_to_answer_is_an_empty_200(http, api_url):
    one = {"name": "one_wait", "version": 1, "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}]}
    assert http.post(f"{api_url}/metadata/workflow", json=one).status_code == 200
    workflow_id = http.post(f"{api_url}/workflow", json={"name": "one_wait"}).text
    answered = http.post(f"{api_url}/tasks/{workflow_id}/COMPLETED/signal/sync?returnStrategy=BLOCKING_TASK_INPUT",
                         json={})
    assert (answered.status_code, answered.content) == (200, b"")


def test_an_operation_the_api_lacks_is_conductors_500(http):
    with ConductorServer(SimpleNamespace(), port=0) as bare:
        answer = http.get(f"{bare.url}/workflow/x")
    assert answer.status_code == 500
    assert answer.json() == {"status": 500, "message": "get_workflow is not supported by this server",
                             "instance": socket.gethostname(), "retryable": False}


def test_health_at_both_paths(http, server):
    expected = {"healthResults": [], "suppressedHealthResults": [], "healthy": True}
    assert http.get(f"{server.url}/health").json() == expected
    assert http.get(server.url.replace("/api", "/health")).json() == expected


def test_connections_are_kept_alive(http, api_url):
    answer = http.get(f"{api_url}/health")
    assert answer.raw.version == 11 and "close" not in answer.headers.get("Connection", "")


def test_the_default_address_is_loopback(engine):
    server = ConductorServer(engine, port=0)
    try:
        assert server.host == "127.0.0.1" and server.url.startswith("http://127.0.0.1:")
    finally:
        server.stop()


def test_stopping_ends_a_long_poll_early_and_answers_it(engine):
    server = ConductorServer(engine, port=0).start()
    answers = []
    poller = threading.Thread(target=lambda: answers.append(
        requests.get(f"{server.url}/tasks/poll/batch/a?timeout=5000")))
    poller.start()
    while not server.in_flight:  # until the poll is being served
        threading.Event().wait(0.01)
    server.stop()
    poller.join()
    assert answers[0].status_code == 200 and answers[0].json() == []
