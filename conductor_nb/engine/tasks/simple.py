"""SIMPLE: a task done by a worker that polls its queue."""

from __future__ import annotations

from ...models import Task, TaskStatus, WorkflowTask
from .base import TaskKind


class Simple(TaskKind):
    type_name = "SIMPLE"
    polled_by_workers = True

    def schedule(self, scheduler, wt: WorkflowTask, retry_of: Task | None = None) -> list[Task]:
        task_def = scheduler.task_def_for(wt)
        task = scheduler.new_task(wt, task_type=wt.name, task_def_name=wt.name, retry_of=retry_of)
        task.input_data = scheduler.resolve_task_input(wt, task_def, task.task_id)
        task.status = TaskStatus.SCHEDULED.value
        task.response_timeout_seconds = task_def.response_timeout_seconds
        task.rate_limit_per_frequency = task_def.rate_limit_per_frequency or 0
        task.rate_limit_frequency_in_seconds = task_def.rate_limit_frequency_in_seconds or 1
        task.isolation_group_id = task_def.isolation_group_id
        task.execution_name_space = task_def.execution_name_space
        return [task]
