"""Fixtures for the server tests: a real server on 127.0.0.1 (ephemeral port) over an Engine on a fresh SQLite
file, in this process or as a `conductor-nb server` subprocess."""

import contextlib
import os
import re
import signal
import subprocess
import sys

import pytest
import requests


START_LINE = re.compile(r"serving (http://\S+/api)")


@pytest.fixture
def api_url(server):
    return server.url


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


class CliServer:
    """A `conductor-nb server` subprocess; `url` comes from its start line."""

    def __init__(self, db_path, *args, env=None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "conductor_nb.cli", "--db", str(db_path), "server", "--port", "0", *args],
            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
        )
        self.start_line = self.process.stderr.readline()
        found = START_LINE.search(self.start_line)
        assert found, f"no start line: {self.start_line!r}"
        self.url = found.group(1)

    def stop(self):
        """SIGTERM, then the rest of its log and its exit code."""
        self.process.send_signal(signal.SIGTERM)
        _, rest = self.process.communicate(timeout=30)
        return rest, self.process.returncode


@contextlib.contextmanager
def cli_servers(directory):
    """A function starting `conductor-nb server` subprocesses on fresh databases in `directory`; those still
    running at the end are killed."""
    started = []

    def start(*args, env=None):
        server = CliServer(directory / f"cli{len(started)}.db", *args, env=env)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            if server.process.poll() is None:
                server.process.kill()
                server.process.communicate()


@pytest.fixture
def cli_server(tmp_path):
    with cli_servers(tmp_path) as start:
        yield start


@pytest.fixture(scope="module")
def module_cli_server(tmp_path_factory):
    with cli_servers(tmp_path_factory.mktemp("cli")) as start:
        yield start
