"""What a running worker function can reach: its task (get_task_context) and how to ask to be called again."""

from __future__ import annotations

import threading
from typing import Any, Optional

from ..models import Task, TaskResult

_local = threading.local()


class NonRetryableException(Exception):
    """Raise it from a worker to fail the task with FAILED_WITH_TERMINAL_ERROR: no retries."""


class TaskInProgress:
    """Return it from a worker to say 'not done yet: call me again in `callback_after_seconds`'."""

    def __init__(self, callback_after_seconds: int = 60, output: Optional[dict] = None):
        self.callback_after_seconds = callback_after_seconds
        self.output = output


class TaskContext:
    """The task being executed on this thread, and the result being built for it."""

    def __init__(self, task: Task, task_result: TaskResult):
        self._task = task
        self._task_result = task_result

    def get_task_id(self) -> str:
        return self._task.task_id

    def get_workflow_instance_id(self) -> str:
        return self._task.workflow_instance_id

    def get_retry_count(self) -> int:
        return self._task.retry_count or 0

    def get_poll_count(self) -> int:
        return self._task.poll_count or 0

    def get_input(self) -> dict:
        return self._task.input_data or {}

    def get_task(self) -> Task:
        return self._task

    def add_log(self, message: str) -> None:
        self._task_result.log(message)

    def set_callback_after(self, seconds: int) -> None:
        self._task_result.callback_after_seconds = seconds

    def set_output(self, output: dict[str, Any]) -> None:
        self._task_result.output_data = output


def get_task_context() -> TaskContext:
    """The context of the task this thread is executing; only valid inside a worker function."""
    context = getattr(_local, "context", None)
    if context is None:
        raise RuntimeError("get_task_context() is only available while a worker is executing a task")
    return context


def _set_task_context(context: Optional[TaskContext]) -> None:
    _local.context = context
