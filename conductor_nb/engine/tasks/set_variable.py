"""SET_VARIABLE: merge the task's input into the workflow's variables."""

from __future__ import annotations

import json

from ...models import Task, TaskStatus
from .base import TaskKind, complete

MAX_VARIABLES_BYTES = 256 * 1024


class SetVariable(TaskKind):
    type_name = "SET_VARIABLE"

    def start(self, ctx, task: Task) -> None:
        task.start_time = task.end_time = ctx.now
        variables = {**(ctx.workflow.variables or {}), **task.input_data}
        size = len(json.dumps(variables).encode())
        if size > MAX_VARIABLES_BYTES:
            complete(task, status=TaskStatus.FAILED_WITH_TERMINAL_ERROR.value,
                     reason=f"The variables payload size: {size} of workflow: {ctx.workflow.workflow_id} is "
                            f"greater than the permissible limit: {MAX_VARIABLES_BYTES // 1024} kilobytes")
            return
        ctx.workflow.variables = variables
        complete(task)
