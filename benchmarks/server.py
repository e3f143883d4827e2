"""`conductor-nb server` as a subprocess on 127.0.0.1 with an ephemeral port: the HTTP modes' server."""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import threading
import time

START_LINE = re.compile(r"serving (http://127\.0\.0\.1:\d+/api)")
START_TIMEOUT_S = 30.0


class Server:
    """Started on `db_path`; `url` is its /api address. Stop it with `stop()` (or use it as a context manager)."""

    def __init__(self, db_path: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "conductor_nb.cli", "--db", db_path, "server", "--host", "127.0.0.1",
             "--port", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("CONDUCTOR_")},
        )
        self.log: collections.deque[str] = collections.deque(maxlen=50)
        self.url = self._await_start_line()
        threading.Thread(target=self._drain, daemon=True).start()  # a full stderr pipe would block the server

    def _await_start_line(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        result: list[str] = []

        def read() -> None:
            for line in self.process.stderr:
                self.log.append(line)
                found = START_LINE.search(line)
                if found:
                    result.append(found.group(1))
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(max(0.0, deadline - time.monotonic()))
        if not result:
            self.process.kill()
            raise RuntimeError("conductor-nb server did not start: " + "".join(self.log)[-2000:])
        return result[0]

    def _drain(self) -> None:
        for line in self.process.stderr:
            self.log.append(line)

    def peak_rss_mb(self) -> float | None:
        """The server's resident-set high-water mark (Linux /proc), read while it runs."""
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
