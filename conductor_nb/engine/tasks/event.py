"""EVENT: publish the task's input to a sink. The embedded engine has the `conductor` sink only, and no event
handlers listen to it yet, so a published event is recorded in the task's output and goes no further. The output is
the payload Conductor publishes: the input plus the workflow's id, name, version, correlation id and taskToDomain
(a workflow started without one has {}, as Conductor's Workflow does). Any other sink (sqs:, kafka:, ...) fails the
task as Conductor fails it when it has no such queue type, with the payload it meant to publish as its output."""

from __future__ import annotations

from typing import Optional

from ...models import Task, TaskStatus, WorkflowTask
from .base import TaskKind, complete


class Event(TaskKind):
    type_name = "EVENT"

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        """The task's input is its resolved inputParameters plus `sink` and `asyncComplete` (EventTaskMapper)."""
        task = ctx.new_task(wt, self.type_name, retry_of)
        task.input_data = {**ctx.task_input(wt, task), "sink": wt.sink, "asyncComplete": bool(wt.async_complete)}
        return [ctx.add(task)]

    def start(self, ctx, task: Task) -> None:
        task.start_time = task.end_time = ctx.now
        wf = ctx.workflow
        sink = task.workflow_task.sink or task.input_data.get("sink") or ""
        if sink == "conductor":
            queue = f"conductor:{wf.workflow_name}:{task.reference_task_name}"
        elif sink.startswith("conductor:"):  # Conductor names the queue after the workflow too
            queue = f"conductor:{wf.workflow_name}:{sink[len('conductor:'):]}"
        else:
            queue = sink
        task.output_data = {
            **task.input_data, "workflowInstanceId": wf.workflow_id, "workflowType": wf.workflow_name,
            "workflowVersion": wf.workflow_version, "correlationId": wf.correlation_id,
            "taskToDomain": dict(wf.task_to_domain or {}), "event_produced": queue,
        }
        if not queue.startswith("conductor:"):  # the event it meant to publish stays its output, as in Conductor
            complete(task, status=TaskStatus.FAILED.value,
                     reason=f"Error loading queue:{queue}, for task:{task.task_id}, error: Unknown queue type "
                            f"{sink.split(':', 1)[0]}")
            return
        complete(task)
