"""NOOP: completes as soon as it is scheduled."""

from __future__ import annotations

from typing import Optional

from ...models import Task, WorkflowTask
from .base import TaskKind, complete


class Noop(TaskKind):
    type_name = "NOOP"

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        """A task without input: Conductor's NoopTaskMapper does not resolve inputParameters."""
        return [ctx.add(ctx.new_task(wt, self.type_name, retry_of))]

    def start(self, ctx, task: Task) -> None:
        task.start_time = task.end_time = ctx.now
        complete(task)
