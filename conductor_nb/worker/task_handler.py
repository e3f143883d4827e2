"""TaskHandler: starts and stops the workers, on threads (notebook-safe) in this process."""

from __future__ import annotations

import importlib
import logging
import time
from typing import Optional

from ..api import connect
from ..config import Configuration
from ..models import TaskDef
from .runner import TaskRunner, fail_abandoned
from .worker import Worker, decorated_workers

log = logging.getLogger("conductor_nb.worker")

STOP_GRACE_SECONDS = 1.0


class TaskHandler:
    """Runs workers: the ones given, plus every `@worker_task` function already imported (scan_for_annotated_workers).

    Workers run on threads of this process, so they work in notebooks and scripts alike; the official SDK's
    process-management arguments (metrics, listeners, monitoring and restart settings) are accepted and unused.

    `stop_processes()` returns within about a second: tasks that finish in that time are reported as usual,
    and any still executing are reported FAILED so that Conductor retries them.
    """

    def __init__(self, workers: Optional[list[Worker]] = None, configuration: Optional[Configuration] = None,
                 metrics_settings=None, scan_for_annotated_workers: bool = True,
                 import_modules: Optional[list[str]] = None, event_listeners=None, monitor_processes: bool = True,
                 restart_on_failure: bool = True, monitor_interval_seconds: float = 5.0,
                 restart_backoff_seconds: float = 1.0, restart_backoff_max_seconds: float = 60.0,
                 restart_max_attempts: int = 0):
        self.configuration = configuration or Configuration()
        for module in import_modules or []:
            importlib.import_module(module)
        chosen: dict[tuple[str, Optional[str]], Worker] = {}
        if scan_for_annotated_workers:
            chosen.update({(w.task_definition_name, w.domain): w for w in decorated_workers()})
        chosen.update({(w.task_definition_name, w.domain): w for w in workers or []})
        self.workers = list(chosen.values())
        self._api = connect(self.configuration)
        self._runners: list[TaskRunner] = []

    def start_processes(self) -> None:
        """Start polling: one runner (of `thread_count` threads) per worker."""
        if self._runners:
            return
        self._register_task_defs()
        self._runners = [TaskRunner(w, self._api) for w in self.workers]
        for runner in self._runners:
            runner.start()

    def stop_processes(self) -> None:
        """Stop every worker within about a second (see the class docstring)."""
        for runner in self._runners:
            runner.request_stop()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for runner in self._runners:
            for task in runner.join(max(0.0, deadline - time.monotonic())):
                fail_abandoned(self._api, task, runner.worker.worker_id)
        self._runners = []

    def join_processes(self) -> None:
        """Block until the workers stop (after stop_processes from another thread, or Ctrl-C)."""
        try:
            while any(r.running for r in self._runners):
                time.sleep(0.2)
        except KeyboardInterrupt:
            self.stop_processes()

    def is_healthy(self) -> bool:
        return all(r.running for r in self._runners)

    def get_worker_process_status(self) -> dict[str, bool]:
        return {r.worker.task_definition_name: r.running for r in self._runners}

    def _register_task_defs(self) -> None:
        defs = []
        for w in self.workers:
            if w.register_task_def:
                template = w.task_def_template.to_dict() if w.task_def_template else {}
                defs.append(TaskDef.from_dict({**template, "name": w.task_definition_name}))
        if defs:
            self._api.register_task_defs(defs)

    def __enter__(self) -> TaskHandler:
        return self

    def __exit__(self, *exc) -> None:
        self.stop_processes()
