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
MAX_THREADS_FACTOR = 8  # how many times the base number of threads may run while every one is busy


class SystemTaskRunner:
    """Daemon threads, `threads` of them, started when the first background task is queued. While every thread is
    busy (runaway scripts until their time limit, slow HTTP calls) another starts, up to MAX_THREADS_FACTOR times
    as many, so that the next task waits for no one; an extra thread leaves after a poll that finds nothing."""

    def __init__(self, engine: Engine, threads: int):
        self._engine = engine
        self._size = max(1, threads)
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._started = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        with self._lock:
            if self._threads or self._stop.is_set():
                return
            for _ in range(self._size):
                self._spawn()

    def stop(self) -> None:
        """Ask the threads to stop (the engine wakes their polls) and wait for them."""
        self._stop.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=(POLL_MS / 1000) + 1)

    def _spawn(self) -> None:
        """Start one more thread (the caller holds the lock)."""
        thread = threading.Thread(target=self._run, name=f"conductor-system-task-{self._started}", daemon=True)
        self._started += 1
        self._threads.append(thread)
        thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                tasks = self._engine._take_background(POLL_MS)
            except Exception as e:  # the database was closed under us, or a transient error
                if self._stop.wait(0.5):
                    return
                log.warning("system task poll failed: %s", e)
                continue
            with self._lock:
                if not tasks and len(self._threads) > self._size:
                    self._threads.remove(threading.current_thread())  # an extra thread with nothing to do
                    return
                self._busy += len(tasks) > 0
                if self._busy >= len(self._threads) and len(self._threads) < self._size * MAX_THREADS_FACTOR:
                    self._spawn()
            try:
                for task in tasks:
                    self._run_one(task)
            finally:
                with self._lock:
                    self._busy -= len(tasks) > 0

    def _run_one(self, task) -> None:
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
