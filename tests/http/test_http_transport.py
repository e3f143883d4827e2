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


class ScriptedServer:
    """A raw socket server on 127.0.0.1 that records each request (method, path) and meets it with the next step
    of its script: a status to answer (503, 502, ...), "drop" to close the connection without a word, or, once the
    script is used up, 200 with `ok_body`. Every answer closes its connection."""

    def __init__(self, script, ok_body=b""):
        self.script, self.ok_body, self.seen = list(script), ok_body, []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/api"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return  # closed
            with connection:
                self._meet(connection)

    def _meet(self, connection):
        stream = connection.makefile("rb")
        method, path, _ = stream.readline().decode().split(" ", 2)
        length = 0
        while (line := stream.readline().strip()) != b"":
            name, _, value = line.decode().partition(":")
            length = int(value) if name.lower() == "content-length" else length
        stream.read(length)
        self.seen.append((method, path))
        step = self.script.pop(0) if self.script else 200
        if step == "drop":
            return
        body = self.ok_body if step == 200 else b'{"status":%d,"message":"try again","retryable":true}' % step
        connection.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                           b"Connection: close\r\n\r\n%s" % (step, len(body), body))

    def close(self):
        self._socket.shutdown(socket.SHUT_RDWR)  # wakes the accept() (closing alone does not)
        self._socket.close()
        self._thread.join(5)
        assert not self._thread.is_alive()


@pytest.fixture
def scripted():
    servers = []

    def start(*script, ok_body=b""):
        servers.append(ScriptedServer(script, ok_body))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_503_is_retried_for_a_get_and_for_an_idempotent_put(scripted):
    server = scripted(503, 503, ok_body=b'{"workflowId":"wf","status":"RUNNING"}')
    assert HttpConductor(server.url).get_workflow("wf").status == "RUNNING"
    assert server.seen == [("GET", "/api/workflow/wf?includeTasks=true")] * 3
    server = scripted(503)
    HttpConductor(server.url).pause_workflow("wf")
    assert server.seen == [("PUT", "/api/workflow/wf/pause")] * 2


def test_retries_end_with_the_last_answer(scripted):
    server = scripted(503, 503, 503)
    with pytest.raises(ServerError) as err:
        HttpConductor(server.url, retries=2).get_workflow("wf")
    assert err.value.status == 503 and err.value.retryable and len(server.seen) == 3


def test_a_502_is_retried_for_an_idempotent_call_but_not_for_a_post(scripted):
    server = scripted(502)
    HttpConductor(server.url).resume_workflow("wf")
    assert len(server.seen) == 2
    server = scripted(502)
    with pytest.raises(ServerError) as err:
        HttpConductor(server.url).start_workflow(StartWorkflowRequest(name="flow"))
    assert err.value.status == 502 and server.seen == [("POST", "/api/workflow")]


def test_a_dropped_connection_is_retried_for_a_get(scripted):
    server = scripted("drop", ok_body=b'{"workflowId":"wf","status":"RUNNING"}')
    assert HttpConductor(server.url).get_workflow("wf").workflow_id == "wf"
    assert [method for method, _ in server.seen] == ["GET", "GET"]


def test_a_post_that_may_have_reached_the_server_is_not_sent_twice(scripted):
    server = scripted("drop", ok_body=b"wf-1")
    with pytest.raises(ServerError) as err:
        HttpConductor(server.url).start_workflow(StartWorkflowRequest(name="flow"))
    assert err.value.retryable and err.value.message.endswith("failed: connection lost")
    assert server.seen == [("POST", "/api/workflow")]
