"""The engine's own workers: threads that run background system tasks (HTTP calls, scripts, jq) outside the
engine lock and complete WAITs when their time comes, reporting through the same update path as any worker."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from ..models import TaskStatus
from .tasks import kind_of
from .tasks.base import result_for

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger("conductor_nb.engine")

SYSTEM_QUEUE = "#system"  # '#' cannot start a task type that workers poll
POLL_MS = 1000


class SystemTaskRunner:
    """A small pool of daemon threads, started when the first background task is queued."""

    def __init__(self, engine: Engine, threads: int):
        self._engine = engine
        self._size = max(1, threads)
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._start_lock = threading.Lock()

    def ensure_started(self) -> None:
        with self._start_lock:
            if self._threads or self._stop.is_set():
                return
            for i in range(self._size):
                thread = threading.Thread(target=self._run, name=f"conductor-system-task-{i}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def stop(self) -> None:
        """Ask the threads to stop (the engine wakes their polls) and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=(POLL_MS / 1000) + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                tasks = self._engine._take_background(POLL_MS)
            except Exception as e:  # the database was closed under us, or a transient error
                if self._stop.wait(0.5):
                    return
                log.warning("system task poll failed: %s", e)
                continue
            for task in tasks:
                kind = kind_of(task.workflow_task.type)
                try:
                    result = kind.run(task)
                except Exception as e:  # a bug in a task type must fail its task, not kill the thread
                    log.exception("system task %s failed", task.task_id)
                    result = result_for(task, TaskStatus.FAILED.value, reason=f"{type(e).__name__}: {e}")
                try:
                    self._engine.update_task(result)
                except Exception:
                    log.exception("could not record the result of system task %s", task.task_id)
