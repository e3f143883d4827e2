"""Fixtures of the reliability tests; the helpers are in reliability_support.py, the guarantees in
docs/reliability.md."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import pytest


sys.path.insert(0, str(Path(__file__).resolve().parent))
from reliability_support import FIGURES, ServerProcess  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def server_process(tmp_path):
    """A function starting `conductor-nb server` subprocesses on databases in tmp_path; all are killed at the end."""
    started: list[ServerProcess] = []

    def start(*args: str, db: Optional[Path] = None, env: Optional[dict] = None) -> ServerProcess:
        n = len(started)
        server = ServerProcess(db or tmp_path / f"server{n}.db", tmp_path / f"server{n}.log", *args, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
