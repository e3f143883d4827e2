"""TERMINATE: end the workflow now with terminationStatus, terminationReason and workflowOutput."""

from __future__ import annotations

from ...models import Task, TaskStatus
from .base import TaskKind, complete

STATUSES = ("COMPLETED", "FAILED", "TERMINATED")


class Terminate(TaskKind):
    type_name = "TERMINATE"
    retriable = False

    def start(self, ctx, task: Task) -> None:
        task.start_time = task.end_time = ctx.now
        status = task.input_data.get("terminationStatus")
        if status not in STATUSES:
            complete(task, status=TaskStatus.FAILED.value,
                     reason=f"terminationStatus '{status}' is not one of {', '.join(STATUSES)}")
            return
        output = task.input_data.get("workflowOutput")
        output = output if isinstance(output, dict) else ({"output": output} if output is not None else {})
        reason = task.input_data.get("terminationReason") or (
            f"Workflow is {status} by TERMINATE task: {task.task_id}")
        complete(task, output)
        task.executed = True
        ctx.touch(task)
        if status != "COMPLETED":
            ctx.failure_workflow_due = True
        ctx.end(status, reason, dict(output))
