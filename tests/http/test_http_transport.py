"""HttpConductor on the wire: long-poll timeouts honoured, errors mapped, unreachable servers reported briefly,
and the update-v2 fallback for servers without it."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conductor_nb import (
    BadRequestError,
    ServerError,
    StartWorkflowRequest,
    TaskResult,
    WorkflowDef,
    WorkflowTask,
)
from conductor_nb.http import HttpConductor

FLOW = WorkflowDef(name="flow", tasks=[WorkflowTask(name="a", task_reference_name="a_ref")])


def test_a_long_poll_may_outlast_the_read_timeout(server):
    client = HttpConductor(server.url, read_timeout_s=0.2)
    client.register_workflow_def(FLOW)
    timer = threading.Timer(0.5, lambda: client.start_workflow(StartWorkflowRequest(name="flow")))
    timer.start()
    tasks = client.batch_poll_tasks("a", "w", 1, 3000)
    timer.join()
    assert len(tasks) == 1 and tasks[0].reference_task_name == "a_ref"


def test_update_v2_hands_back_the_next_task(server):
    client = HttpConductor(server.url)
    client.register_workflow_def(FLOW)
    first, second = (client.start_workflow(StartWorkflowRequest(name="flow")) for _ in range(2))
    task = client.poll_task("a", "w")
    following = client.update_task_v2(TaskResult(task_id=task.task_id, workflow_instance_id=first,
                                                 status="COMPLETED", worker_id="w"))
    assert following.workflow_instance_id == second and following.status == "IN_PROGRESS"
    assert client.get_workflow(first).status == "COMPLETED"


def test_error_bodies_become_the_engines_exceptions(server):
    client = HttpConductor(server.url)
    with pytest.raises(BadRequestError) as err:
        client.register_workflow_def(WorkflowDef(name="", tasks=FLOW.tasks))
    assert err.value.status == 400 and [v.path for v in err.value.validation_errors] == ["name"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_server_is_a_short_retryable_server_error():
    client = HttpConductor(f"http://127.0.0.1:{free_port()}/api", retries=1)
    for call in (lambda: client.get_workflow("x"), lambda: client.start_workflow(StartWorkflowRequest(name="f"))):
        with pytest.raises(ServerError) as err:
            call()
        assert err.value.retryable and err.value.message.endswith("failed: cannot connect")


class OldServer(BaseHTTPRequestHandler):
    """A Conductor without /tasks/update-v2: 405 there, a task id from POST /tasks."""

    protocol_version = "HTTP/1.1"
    seen: list

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(self.path)
        status, body = (405, b'{"status":405,"message":"Method Not Allowed"}') if self.path.endswith("update-v2") \
            else (200, b"task-1")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_update_v2_falls_back_to_update_on_a_server_without_it():
    OldServer.seen = []
    old = ThreadingHTTPServer(("127.0.0.1", 0), OldServer)
    threading.Thread(target=old.serve_forever, args=(0.05,), daemon=True).start()
    try:
        client = HttpConductor(f"http://127.0.0.1:{old.server_address[1]}/api")
        result = TaskResult(task_id="task-1", workflow_instance_id="wf", status="COMPLETED")
        assert client.update_task_v2(result) is None
        assert client.update_task_v2(result) is None
    finally:
        old.shutdown()
        old.server_close()
    assert OldServer.seen == ["/api/tasks/update-v2", "/api/tasks", "/api/tasks"]


def test_a_server_url_configuration_connects_over_http(server):
    from conductor_nb import Configuration, connect

    api = connect(Configuration(server_api_url=server.url))
    assert isinstance(api, HttpConductor) and api.server_api_url == server.url
    assert api.get_all_workflow_defs() == []
