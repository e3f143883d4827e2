"""TaskRunner: the threads that poll for one worker's tasks, execute them and report the results."""

from __future__ import annotations

import logging
import threading
import time
from typing import Optional

from ..api import ConductorAPI
from ..errors import ConductorError
from ..models import Task, TaskResult, TaskResultStatus
from .worker import Worker

log = logging.getLogger("conductor_nb.worker")

MAX_POLL_TIMEOUT_MS = 500  # a longer poll_timeout is cut to this, so that a stop request is seen within a second
MAX_BACKOFF_S = 10.0
EMPTY_POLL_BACKOFF_CAP_S = 1.0  # the longest wait between polls a server answers at once with nothing
HELD = 0.9  # a poll answered after this share of its timeout was held by the server (allowing for clock grain)
UPDATE_PATIENCE_S = 60.0


class TaskRunner:
    """Runs `worker.thread_count` threads, each looping: long-poll one task, execute it, update it."""

    def __init__(self, worker: Worker, api: ConductorAPI):
        self.worker = worker
        self.api = api
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._in_flight: dict[int, Task] = {}

    def start(self) -> None:
        self._stop.clear()
        for i in range(max(1, self.worker.thread_count)):
            name = f"conductor-worker-{self.worker.task_definition_name}-{i}"
            thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._threads.append(thread)
            thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> list[Task]:
        """Wait up to `timeout` seconds for the threads to end; return the tasks still executing after that."""
        stuck = []
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive() and thread.ident in self._in_flight:
                stuck.append(self._in_flight[thread.ident])
        self._threads = [t for t in self._threads if t.is_alive()]
        return stuck

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _run(self) -> None:
        failures = 0
        empty_polls = 0  # in a row, each answered sooner than its timeout
        timeout_ms = min(self.worker.poll_timeout, MAX_POLL_TIMEOUT_MS)
        me = threading.get_ident()
        task: Optional[Task] = None  # a task handed over by update-v2, run without polling
        while True:
            if self._stop.is_set():
                if task is not None:  # handed to us but not started: give it back for a retry
                    fail_abandoned(self.api, task, self.worker.worker_id)
                return
            if self.worker.paused:
                self._stop.wait(self.worker.poll_interval / 1000)
                continue
            if task is None:
                began = time.monotonic()
                try:
                    tasks = self.api.batch_poll_tasks(self.worker.task_definition_name, self.worker.worker_id, 1,
                                                      timeout_ms, self.worker.domain)
                except Exception as e:  # the server is down or restarting: back off and try again, quietly
                    failures += 1
                    (log.warning if failures == 1 else log.debug)(
                        "polling %s failed (%s); retrying", self.worker.task_definition_name, e)
                    self._stop.wait(min(MAX_BACKOFF_S, 0.1 * 2 ** min(failures, 7)))
                    continue
                if failures:
                    log.info("polling %s works again", self.worker.task_definition_name)
                    failures = 0
                if not tasks:
                    held = timeout_ms > 0 and time.monotonic() - began >= HELD * timeout_ms / 1000
                    empty_polls = 0 if held else empty_polls + 1
                    if empty_polls:  # the server did not hold the poll: do not spin against it
                        self._stop.wait(self._empty_poll_backoff(empty_polls))
                    continue
                empty_polls = 0
                task = tasks[0]
            self._in_flight[me] = task
            try:
                task = self._report(self.worker.execute(task))
            finally:
                self._in_flight.pop(me, None)

    def _empty_poll_backoff(self, empty_polls: int) -> float:
        """The worker's poll_interval, doubled for each further empty poll in a row, up to a second (or the
        interval, if longer)."""
        interval = max(self.worker.poll_interval, 1) / 1000
        return max(interval, min(EMPTY_POLL_BACKOFF_CAP_S, interval * 2 ** min(empty_polls - 1, 16)))

    def _report(self, result: TaskResult) -> Optional[Task]:
        """Send the result (update-v2: the reply may hand over the next task, saving a poll); retry while the
        server is unreachable, for up to about a minute, so that a restart does not lose the result."""
        delay = 0.1
        deadline = time.monotonic() + UPDATE_PATIENCE_S
        while True:
            try:
                if self._stop.is_set():
                    self.api.update_task(result)
                    return None
                return self.api.update_task_v2(result)
            except ConductorError as e:
                if not e.retryable or time.monotonic() > deadline or self._stop.wait(delay):
                    log.error("could not update task %s: %s", result.task_id, e)
                    return None
                delay = min(delay * 2, 5.0)


def fail_abandoned(api: ConductorAPI, task: Task, worker_id: Optional[str]) -> None:
    """Report a task whose worker was stopped mid-execution as FAILED, so Conductor retries it elsewhere."""
    try:
        api.update_task(TaskResult(
            task_id=task.task_id, workflow_instance_id=task.workflow_instance_id, worker_id=worker_id,
            status=TaskResultStatus.FAILED.value, reason_for_incompletion="worker stopped before the task finished",
        ))
    except Exception as e:
        log.error("could not fail abandoned task %s: %s", task.task_id, e)
