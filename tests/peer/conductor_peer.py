"""A real Conductor OSS server for the tests, started once per pytest session and shared by every test that asks.

`shared(config)` starts `conductor_server.sh run` (Maven resolves the release, SQLite holds everything in a
temporary directory) on a free port of 127.0.0.1, waits for /health, and returns the running `PeerServer`; later
calls return the same one. It raises `PeerUnavailable` (the fixtures turn it into pytest.skip) when this machine
has no Maven or no JDK that runs a Conductor release, or when CONDUCTOR_PEER=0. A peer that has the tools but
fails to fetch or boot is an error, reported with the end of its log.

`reset(url)` empties the server between tests: every execution removed, every definition unregistered.

CONDUCTOR_PEER_URL=http://127.0.0.1:PORT/api uses a server that is already running instead (its data is wiped);
CONDUCTOR_PEER=0 turns the peer off.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

SCRIPT = Path(__file__).with_name("conductor_server.sh")
BOOT_TIMEOUT_S = float(os.environ.get("CONDUCTOR_PEER_BOOT_TIMEOUT", "240"))
FETCH_TIMEOUT_S = float(os.environ.get("CONDUCTOR_PEER_FETCH_TIMEOUT", "900"))
MISSING_TOOLS = 3  # conductor_server.sh's exit code for "no Maven / no suitable JDK here"


class PeerUnavailable(Exception):
    """This machine cannot run the peer (the message says why); tests that need it are skipped."""


class PeerServer:
    def __init__(self, process: subprocess.Popen | None, port: int, workdir: Path | None, release: str,
                 url: str | None = None):
        self.process = process
        self.port = port
        self.workdir = workdir
        self.release = release
        self.url = url or f"http://127.0.0.1:{port}/api"
        self.base = self.url.rsplit("/api", 1)[0]

    def log_tail(self, lines: int = 40) -> str:
        if self.workdir is None:
            return ""
        try:
            return "\n".join((self.workdir / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process is None or self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.workdir, ignore_errors=True)


_server: PeerServer | None = None
_unavailable: str | None = None
_error: str | None = None


def shared(config=None) -> PeerServer:
    """The session's peer server, started on first use (progress goes to the terminal: the first fetch takes a
    while). Raises PeerUnavailable, or RuntimeError when it has the tools but cannot start."""
    global _server, _unavailable, _error
    if _server is not None and _server.alive():
        return _server
    if _unavailable:
        raise PeerUnavailable(_unavailable)
    if _error:
        raise RuntimeError(_error)
    with _terminal(config) as say:
        try:
            _server = _start(say)
        except PeerUnavailable as e:
            _unavailable = str(e)
            say(f"skipping the peer: {_unavailable}")
            raise
        except Exception as e:
            _error = str(e)
            raise
    atexit.register(_server.stop)
    return _server


def stop_shared() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None


def _start(say) -> PeerServer:
    if os.environ.get("CONDUCTOR_PEER", "1").lower() in ("0", "off", "no", "false"):
        raise PeerUnavailable("the real Conductor peer is turned off (CONDUCTOR_PEER=0)")
    if os.environ.get("CONDUCTOR_PEER_URL"):
        # A Conductor server someone already runs (e.g. `conductor_server.sh start`). The tests empty it!
        url = os.environ["CONDUCTOR_PEER_URL"].rstrip("/")
        say(f"using the running Conductor at {url} (its data is wiped between tests)")
        return PeerServer(None, 0, None, "external", url=url)
    if shutil.which("bash") is None:
        raise PeerUnavailable("no bash to run tests/peer/conductor_server.sh")
    check = subprocess.run(["bash", str(SCRIPT), "check"], capture_output=True, text=True, timeout=120)
    if check.returncode == MISSING_TOOLS:
        raise PeerUnavailable(check.stderr.strip().splitlines()[-1].removeprefix("[conductor-peer] "))
    if check.returncode != 0:
        raise RuntimeError(f"conductor_server.sh check failed: {check.stderr.strip()}")
    facts = dict(part.split("=", 1) for part in check.stdout.split())
    release = facts["release"]
    say(f"real Conductor peer: release {release}, Java {facts['java_version']} ({facts['java']})")

    began = time.monotonic()
    fetch = subprocess.Popen(["bash", str(SCRIPT), "fetch"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    last_line = ""
    for line in fetch.stdout:
        line = line.rstrip()
        if line:
            last_line = line
            if line.startswith(("[conductor-peer]", "Downloaded", "[ERROR]")) or "BUILD" in line:
                say(line)
        if time.monotonic() - began > FETCH_TIMEOUT_S:
            fetch.kill()
            raise RuntimeError(f"fetching Conductor {release} took over {FETCH_TIMEOUT_S:.0f} s")
    if fetch.wait() != 0:
        raise RuntimeError(f"could not fetch Conductor {release} with Maven: {last_line}")
    say(f"fetched or found in {time.monotonic() - began:.1f} s")

    workdir = Path(tempfile.mkdtemp(prefix="conductor-peer-"))
    port = _free_port()
    log = open(workdir / "server.log", "w")
    process = subprocess.Popen(["bash", str(SCRIPT), "run", str(workdir), str(port)], stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    log.close()
    server = PeerServer(process, port, workdir, release)
    booting = time.monotonic()
    while True:
        if not server.alive():
            tail = server.log_tail()
            shutil.rmtree(workdir, ignore_errors=True)
            raise RuntimeError(f"Conductor {release} exited while starting:\n{tail}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{server.base}/health", timeout=2).json().get("healthy"):
                break
        if time.monotonic() - booting > BOOT_TIMEOUT_S:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"Conductor {release} not healthy after {BOOT_TIMEOUT_S:.0f} s:\n{tail}")
        time.sleep(0.5)
    say(f"Conductor {release} healthy on {server.url} after {time.monotonic() - booting:.1f} s "
        f"(total {time.monotonic() - began:.1f} s)")
    return server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: the server gets SIGTERM if pytest dies without stopping it (Linux only)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def _terminal(config):
    """A `say` that reaches the terminal past pytest's output capture."""
    capture = config.pluginmanager.getplugin("capturemanager") if config is not None else None
    if capture is None:
        yield lambda line: print(f"[conductor-peer] {line.removeprefix('[conductor-peer] ')}", file=sys.stderr,
                                 flush=True)
        return

    def say(line):
        with capture.global_and_fixture_disabled():
            sys.stderr.write(f"\n[conductor-peer] {line.removeprefix('[conductor-peer] ')}")
            sys.stderr.flush()

    yield say


# ------------------------------------------------------------------------------------------------- a clean slate
TERMINAL = {"COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT"}


def reset(base_url: str, session: requests.Session | None = None) -> None:
    """Remove every execution and definition from the peer, so each test starts as on a fresh server."""
    http = session or requests.Session()
    ghosts: set[str] = set()  # in the search index, but the workflow is gone (nothing the API can remove)
    for _ in range(50):
        found = http.get(f"{base_url}/workflow/search", params={"start": 0, "size": 1000, "freeText": "*"},
                         timeout=60).json().get("results", [])
        found = [summary for summary in found if summary["workflowId"] not in ghosts]
        if not found:
            break
        ids = [summary["workflowId"] for summary in found]
        ghosts.update(i for i in ids if http.get(f"{base_url}/workflow/{i}", params={"includeTasks": "false"},
                                                 timeout=30).status_code == 404)
        # One call terminates what still runs and removes all (without archiving), 50 at a time (a loaded server
        # once took over 120 s for 150 at once); a server without the bulk endpoint, or one too slow: one at a time.
        done = True
        for chunk in range(0, len(ids), 50):
            try:
                answer = http.delete(f"{base_url}/workflow/bulk/terminate-remove",
                                     params={"archiveWorkflow": "false"}, json=ids[chunk:chunk + 50], timeout=60)
                done = done and answer.ok
            except requests.RequestException:
                done = False
        if not done:
            for summary in found:
                with contextlib.suppress(requests.RequestException):  # the next round searches again
                    if summary.get("status") not in TERMINAL:
                        http.delete(f"{base_url}/workflow/{summary['workflowId']}", params={"reason": "reset"},
                                    timeout=30)
                    http.delete(f"{base_url}/workflow/{summary['workflowId']}/remove",
                                params={"archiveWorkflow": "false"}, timeout=30)
    for wf_def in http.get(f"{base_url}/metadata/workflow", timeout=30).json():
        http.delete(f"{base_url}/metadata/workflow/{wf_def['name']}/{wf_def.get('version', 1)}", timeout=30)
    for task_def in http.get(f"{base_url}/metadata/taskdefs", timeout=30).json():
        http.delete(f"{base_url}/metadata/taskdefs/{task_def['name']}", timeout=30)
    if session is None:
        http.close()
