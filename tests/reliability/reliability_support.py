"""Helpers shared by the reliability tests (docs/reliability.md): `conductor-nb server` subprocesses on 127.0.0.1,
the soak switch, and the figures the load and stall tests report.

`make test` runs every test here at a scale that fits the suite's budget; `make soak` sets CONDUCTOR_NB_SOAK=1 and
runs the long ones at full scale (10,000 workflows, more fuzzing). Figures are printed at the end of the run.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

SOAK = os.environ.get("CONDUCTOR_NB_SOAK") == "1"
START_LINE = re.compile(r"serving (http://\S+/api)")
FIGURES: list[str] = []


def figure(line: str) -> None:
    """A measured figure, printed in the run's summary (and on stdout, for -s)."""
    FIGURES.append(line)
    print(line)


class ServerProcess:
    """`conductor-nb server` on 127.0.0.1 as a subprocess, its log in a file; `kill()` is a SIGKILL, and
    `restart()` starts it again on the same port and database."""

    def __init__(self, db_path: Path, log_path: Path, *args: str, port: int = 0, env: Optional[dict] = None):
        self.db_path, self.log_path, self.args, self.env = Path(db_path), Path(log_path), args, env
        self.port = port
        self.process: Optional[subprocess.Popen] = None
        self.starts = 0
        self._start()

    def _start(self) -> None:
        self.starts += 1
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "conductor_nb.cli", "--db", str(self.db_path), "server", "--port", str(self.port),
             *self.args], stdout=log, stderr=log, env={**os.environ, **(self.env or {})}, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open(self.log_path) as f:
                f.seek(offset)
                found = START_LINE.search(f.read())
            if found:
                self.url = found.group(1)
                self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"the server did not start: {self.log_path.read_text()[-2000:]}")

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL the server process (its sandbox workers get the same, as a power cut would)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def restart(self) -> None:
        for _ in range(50):  # the port is free the moment the process is gone; allow for a slow kernel
            if _port_free(self.port):
                break
            time.sleep(0.1)
        self._start()

    def stop(self) -> int:
        """SIGTERM, wait, and return the exit code."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode if self.process else 0

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.kill()


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
