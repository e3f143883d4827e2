"""SUB_WORKFLOW (a child workflow whose end ends the task) and START_WORKFLOW (start one and move on)."""

from __future__ import annotations

from typing import Optional

from ...errors import ConductorError
from ...models import StartWorkflowRequest, Task, TaskStatus, WorkflowDef, WorkflowTask
from .base import TaskKind, complete

# The child's final status -> the SUB_WORKFLOW task's status.
TASK_STATUS_OF_CHILD = {
    "COMPLETED": TaskStatus.COMPLETED.value,
    "FAILED": TaskStatus.FAILED.value,
    "TERMINATED": TaskStatus.CANCELED.value,
    "TIMED_OUT": TaskStatus.TIMED_OUT.value,
}


class SubWorkflow(TaskKind):
    type_name = "SUB_WORKFLOW"

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        task = ctx.new_task(wt, self.type_name, retry_of)
        params = wt.sub_workflow_param
        params = params.to_dict() if hasattr(params, "to_dict") else dict(params or {})
        definition = params.pop("workflowDefinition", None)
        resolved = ctx.resolve(params, task.task_id)  # an inline definition's own expressions are the child's
        if isinstance(definition, str):
            definition = ctx.resolve(definition, task.task_id)
        task.input_data = {
            "subWorkflowName": resolved.get("name") or (definition or {}).get("name"),
            "subWorkflowVersion": resolved.get("version"),
            "subWorkflowTaskToDomain": resolved.get("taskToDomain"),
            "subWorkflowDefinition": definition,
            "workflowInput": ctx.task_input(wt, task),
        }
        task.input_data = {k: v for k, v in task.input_data.items() if v is not None}
        task.callback_after_seconds = wt.start_delay or 0
        return [ctx.add(task)]

    def start(self, ctx, task: Task) -> None:
        inputs = task.input_data
        definition = inputs.get("subWorkflowDefinition")
        version = inputs.get("subWorkflowVersion")
        request = StartWorkflowRequest(
            name=inputs.get("subWorkflowName"),
            version=None if version in (0, "0") else version,  # 0: the latest, as Conductor starts it (D3)
            input=inputs.get("workflowInput") or {}, correlation_id=ctx.workflow.correlation_id,
            task_to_domain=inputs.get("subWorkflowTaskToDomain") or ctx.workflow.task_to_domain,
            priority=ctx.workflow.priority,
            workflow_def=WorkflowDef.from_dict(definition) if isinstance(definition, dict) else None,
        )
        task.start_time = ctx.now
        try:
            child_id = ctx.services.start_child(ctx, task, request)
        except ConductorError as e:
            complete(task, status=TaskStatus.FAILED.value, reason=f"Error starting sub workflow: {e}")
            task.end_time = ctx.now
            return
        task.sub_workflow_id = child_id
        task.output_data = {"subWorkflowId": child_id}
        task.status = TaskStatus.IN_PROGRESS.value

    def cancel(self, ctx, task: Task) -> None:
        super().cancel(ctx, task)
        if task.sub_workflow_id:
            ctx.services.cancel_child(task.sub_workflow_id, "Parent workflow has been terminated with reason: "
                                                            f"{ctx.workflow.reason_for_incompletion}")


class StartWorkflow(TaskKind):
    """START_WORKFLOW: input `startWorkflow{name, version, input, correlationId, taskToDomain}`."""

    type_name = "START_WORKFLOW"

    def start(self, ctx, task: Task) -> None:
        task.start_time = task.end_time = ctx.now
        spec = task.input_data.get("startWorkflow")
        if not isinstance(spec, dict) or not spec.get("name"):
            complete(task, status=TaskStatus.FAILED.value,
                     reason="startWorkflow input must be an object with the workflow's name")
            return
        request = StartWorkflowRequest.from_dict(spec)
        request.correlation_id = request.correlation_id or ctx.workflow.correlation_id
        try:
            workflow_id = ctx.services.start_workflow(request)
        except ConductorError as e:
            complete(task, status=TaskStatus.FAILED.value, reason=f"Error starting workflow: {e}")
            return
        complete(task, {"workflowId": workflow_id})
