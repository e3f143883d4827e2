"""The kitchen sink runs on the embedded engine, its HTTP calls answered by a server on 127.0.0.1."""

import json
import os
import pathlib
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "kitchensink.py"


class _Api(BaseHTTPRequestHandler):
    calls = []

    def do_GET(self):
        type(self).calls.append(self.path)
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
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Api.calls.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()


@pytest.mark.parametrize("country, status", [("US", "COMPLETED"), ("XX", "TERMINATED")])
def test_kitchensink(tmp_path, api_url, country, status):
    env = {**os.environ, "CONDUCTOR_NB_DB": str(tmp_path / "ks.db"), "KITCHENSINK_API_URL": api_url,
           "KITCHENSINK_COUNTRY": country}
    env.pop("CONDUCTOR_SERVER_URL", None)
    proc = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"Workflow status: {status}" in proc.stdout
    if status == "COMPLETED":
        assert "'text': 'hello Orkes'" in proc.stdout
    assert len(_Api.calls) == 2  # the sub-workflow's call and the forked call
