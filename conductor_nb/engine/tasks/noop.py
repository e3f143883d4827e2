"""NOOP: completes as soon as it is scheduled."""

from __future__ import annotations

from ...models import Task
from .base import TaskKind, complete


class Noop(TaskKind):
    type_name = "NOOP"

    def start(self, ctx, task: Task) -> None:
        task.start_time = task.end_time = ctx.now
        complete(task)
