"""TaskRunner: the threads that poll for one worker's tasks, execute them and report the results."""

from __future__ import annotations

import logging
import threading
from typing import Optional

from ..api import ConductorAPI
from ..models import Task, TaskResult, TaskResultStatus
from .worker import Worker

log = logging.getLogger("conductor_nb.worker")

LONG_POLL_MS = 500  # how long one poll waits for work; also bounds how long a stop request takes to be seen
MAX_BACKOFF_S = 10.0
UPDATE_ATTEMPTS = 4


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
        backoff = 0.0
        me = threading.get_ident()
        while not self._stop.is_set():
            if self.worker.paused:
                self._stop.wait(self.worker.poll_interval / 1000)
                continue
            try:
                tasks = self.api.batch_poll_tasks(self.worker.task_definition_name, self.worker.worker_id, 1,
                                                  LONG_POLL_MS, self.worker.domain)
                backoff = 0.0
            except Exception as e:  # the server is down or restarting: wait and try again, quietly
                backoff = min(MAX_BACKOFF_S, backoff * 2 or 0.1)
                log.warning("polling %s failed (%s); retrying in %.1fs", self.worker.task_definition_name, e, backoff)
                self._stop.wait(backoff)
                continue
            for task in tasks:
                self._in_flight[me] = task
                try:
                    self._report(self.worker.execute(task))
                finally:
                    self._in_flight.pop(me, None)

    def _report(self, result: TaskResult) -> None:
        delay = 0.1
        for attempt in range(UPDATE_ATTEMPTS):
            try:
                self.api.update_task(result)
                return
            except Exception as e:
                if attempt == UPDATE_ATTEMPTS - 1 or self._stop.wait(delay):
                    log.error("could not update task %s: %s", result.task_id, e)
                    return
                delay *= 2


def fail_abandoned(api: ConductorAPI, task: Task, worker_id: Optional[str]) -> None:
    """Report a task whose worker was stopped mid-execution as FAILED, so Conductor retries it elsewhere."""
    try:
        api.update_task(TaskResult(
            task_id=task.task_id, workflow_instance_id=task.workflow_instance_id, worker_id=worker_id,
            status=TaskResultStatus.FAILED.value, reason_for_incompletion="worker stopped before the task finished",
        ))
    except Exception as e:
        log.error("could not fail abandoned task %s: %s", task.task_id, e)
