"""EVENT: publish the task's input to a sink. The embedded engine has the `conductor` sink only, and no event
handlers listen to it yet, so a published event is recorded in the task's output and goes no further. The output is
the payload Conductor publishes: the input plus the workflow's id, name, version, correlation id and taskToDomain
(a workflow started without one has {}, as Conductor's Workflow does)."""

from __future__ import annotations

from ...models import Task, TaskStatus
from .base import TaskKind, complete


class Event(TaskKind):
    type_name = "EVENT"

    def start(self, ctx, task: Task) -> None:
        task.start_time = task.end_time = ctx.now
        wf = ctx.workflow
        sink = task.workflow_task.sink or task.input_data.get("sink") or ""
        if sink == "conductor":
            queue = f"{wf.workflow_name}:{task.reference_task_name}"
        elif sink.startswith("conductor:"):  # Conductor names the queue after the workflow too
            queue = f"{wf.workflow_name}:{sink[len('conductor:'):]}"
        else:
            complete(task, status=TaskStatus.FAILED.value,
                     reason=f"Sink '{sink}' is not available in the embedded engine (only 'conductor' sinks are)")
            return
        complete(task, {
            **task.input_data, "workflowInstanceId": wf.workflow_id, "workflowType": wf.workflow_name,
            "workflowVersion": wf.workflow_version, "correlationId": wf.correlation_id,
            "taskToDomain": dict(wf.task_to_domain or {}), "sink": sink, "event_produced": f"conductor:{queue}",
        })
