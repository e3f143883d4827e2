"""The seed examples, unchanged, against the real Conductor server: CONDUCTOR_SERVER_URL points conductor_nb at it
and conductor_nb's own workers (TaskHandler) do the work, exactly as the examples run embedded
(tests/e2e/test_examples.py, tests/e2e/test_kitchensink.py)."""

import json
import os
import pathlib
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

EXAMPLES = pathlib.Path(__file__).parents[2] / "examples"


def run_example(name, peer, tmp_path, **env):
    environment = {**os.environ, "CONDUCTOR_SERVER_URL": peer.url, "CONDUCTOR_NB_DB": str(tmp_path / "unused.db"),
                   **env}
    return subprocess.run([sys.executable, str(EXAMPLES / name)], env=environment, capture_output=True, text=True,
                          timeout=120)


def test_hello_world_on_the_real_server(clean_peer, tmp_path):
    proc = run_example("helloworld.py", clean_peer, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "workflow result: Hello Orkes" in proc.stdout
    assert "(COMPLETED), on http://127.0.0.1:" in proc.stdout
    assert not (tmp_path / "unused.db").exists()  # nothing ran on an embedded engine


def test_hello_world_runs_again_on_the_same_server(clean_peer, tmp_path):
    for _ in range(2):
        proc = run_example("helloworld.py", clean_peer, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "workflow result: Hello Orkes" in proc.stdout


def test_dynamic_workflow_on_the_real_server(clean_peer, tmp_path):
    proc = run_example("dynamic_workflow.py", clean_peer, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "sending email to user_a@example.com with subject Hello from Orkes and body Test Email" in proc.stdout
    assert "workflow output:  {'email': 'user_a@example.com'}" in proc.stdout


class _Api(BaseHTTPRequestHandler):
    """What the kitchen sink's HTTP tasks call (the official example calls a public test API)."""

    calls = []

    def do_GET(self):
        type(self).calls.append((self.path, self.headers.get("User-Agent", "")))
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def api_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Api.calls.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("country, status", [("US", "COMPLETED"), ("XX", "TERMINATED")])
def test_kitchensink_on_the_real_server(clean_peer, tmp_path, api_url, country, status):
    proc = run_example("kitchensink.py", clean_peer, tmp_path, KITCHENSINK_API_URL=api_url,
                       KITCHENSINK_COUNTRY=country)
    assert proc.returncode == 0, proc.stderr
    assert f"Workflow status: {status}" in proc.stdout
    if status == "COMPLETED":
        assert "'text': 'hello Orkes'" in proc.stdout
    assert len(_Api.calls) == 2  # the sub-workflow's call and the forked call
    assert all("python" not in agent.lower() for _, agent in _Api.calls)  # made by Conductor (Java), not by us
    assert f"{clean_peer.base}/execution/" in proc.stdout
