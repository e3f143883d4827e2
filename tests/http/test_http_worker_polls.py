"""Workers over HTTP poll with their own long-poll timeout, and back off from a server that answers empty polls at
once (one that ignores the timeout) instead of spinning against it."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from conductor_nb import Configuration, TaskHandler, Worker

TASK = {"taskId": "t-1", "workflowInstanceId": "wf-1", "taskType": "polled", "taskDefName": "polled",
        "referenceTaskName": "polled_ref", "status": "IN_PROGRESS", "inputData": {}}


class PollServer(BaseHTTPRequestHandler):
    """Batch polls for `polled`: each is recorded (time, timeout) and answered [], at once or after its timeout
    (`hold`); the task queued in `work` is handed to the next poll. Updates are taken and answered 204."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no delayed-ACK stalls between the header and body writes

    def do_GET(self):
        url = urlsplit(self.path)
        timeout_ms = int(parse_qs(url.query)["timeout"][0])
        state = self.server.state
        with state["lock"]:
            state["polls"].append((time.monotonic(), timeout_ms))
            tasks, state["work"] = state["work"], []
        if not tasks and state["hold"]:
            time.sleep(timeout_ms / 1000)
        self._answer(200, json.dumps(tasks).encode())

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.state["updates"].append(time.monotonic())
        self._answer(204, b"")

    def _answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def poll_server():
    """Start a PollServer (hold=True: it holds each empty poll for its timeout); yields (start, state)."""
    started = []

    def start(hold):
        server = ThreadingHTTPServer(("127.0.0.1", 0), PollServer)
        server.state = {"lock": threading.Lock(), "polls": [], "work": [], "updates": [], "hold": hold}
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/api", server.state

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def run_worker(url, seconds, **options):
    """Run one `polled` worker against `url` for `seconds`; return how long stopping it took."""
    handler = TaskHandler(workers=[Worker("polled", lambda: {"ok": True}, **options)],
                          configuration=Configuration(server_api_url=url), scan_for_annotated_workers=False)
    handler.start_processes()
    time.sleep(seconds)
    began = time.monotonic()
    handler.stop_processes()
    return time.monotonic() - began


def test_polls_carry_the_workers_poll_timeout_and_held_polls_follow_each_other_at_once(poll_server):
    url, state = poll_server(hold=True)
    run_worker(url, 1.5, poll_timeout=300)
    timeouts = [t for _, t in state["polls"]]
    assert set(timeouts) == {300}
    # The server held each poll for its timeout: the worker polled again at once, 5 or 6 polls in 1.5 s (with
    # pauses of 0.1, 0.2, 0.4 s between them, it would be 3).
    assert 4 <= len(timeouts) <= 6, timeouts


def test_a_longer_poll_timeout_is_capped_so_that_stopping_stays_prompt(poll_server):
    url, state = poll_server(hold=True)
    stop_took = run_worker(url, 0.3, poll_timeout=5000)
    assert {t for _, t in state["polls"]} == {500}
    assert stop_took < 1.2, f"stop took {stop_took:.1f}s"


def test_a_server_answering_empty_polls_at_once_is_polled_with_growing_pauses(poll_server):
    url, state = poll_server(hold=False)
    run_worker(url, 1.6, poll_interval=100, poll_timeout=200)
    times = [t for t, _ in state["polls"]]
    # Pauses of 0.1, 0.2, 0.4, 0.8 s: 5 polls in 1.6 s (without a back-off, hundreds).
    assert 4 <= len(times) <= 6, len(times)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(later > earlier for earlier, later in zip(gaps, gaps[1:])), gaps


def test_work_resets_the_back_off(poll_server):
    url, state = poll_server(hold=False)
    handler = TaskHandler(workers=[Worker("polled", lambda: {"ok": True}, poll_interval=100, poll_timeout=200)],
                          configuration=Configuration(server_api_url=url), scan_for_annotated_workers=False)
    handler.start_processes()
    try:
        time.sleep(1.2)  # the pause between empty polls has grown to 0.8 s
        with state["lock"]:
            state["work"] = [TASK]
        deadline = time.monotonic() + 3
        while not state["updates"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert state["updates"], "the task was never reported"
        time.sleep(0.5)
    finally:
        handler.stop_processes()
    after = [t for t, _ in state["polls"] if t > state["updates"][0]]
    # After the task, the pauses start again from the poll interval: polls 0.1 and 0.3 s after the update.
    assert len(after) >= 2 and after[1] - after[0] < 0.35, [round(t - state["updates"][0], 2) for t in after]
