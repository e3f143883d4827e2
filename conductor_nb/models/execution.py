"""Executions: Workflow, Task, what workers report (TaskResult) and what a sync execute returns (WorkflowRun)."""

from __future__ import annotations

import time
from typing import Optional

from .base import Model, extra_field, model
from .display import DiagramDisplay
from .enums import TaskStatus, WorkflowStatus
from .metadata import WorkflowDef, WorkflowTask


@model
class TaskExecLog(Model):
    log: Optional[str] = None
    task_id: Optional[str] = None
    created_time: Optional[int] = None
    extra: dict = extra_field()


@model
class Task(Model):
    task_type: Optional[str] = None
    status: Optional[str] = None
    input_data: Optional[dict] = None
    reference_task_name: Optional[str] = None
    retry_count: Optional[int] = None
    seq: Optional[int] = None
    correlation_id: Optional[str] = None
    poll_count: Optional[int] = None
    task_def_name: Optional[str] = None
    scheduled_time: Optional[int] = None
    start_time: Optional[int] = None
    end_time: Optional[int] = None
    update_time: Optional[int] = None
    start_delay_in_seconds: Optional[int] = None
    retried_task_id: Optional[str] = None
    retried: Optional[bool] = None
    executed: Optional[bool] = None
    callback_from_worker: Optional[bool] = None
    response_timeout_seconds: Optional[int] = None
    workflow_instance_id: Optional[str] = None
    workflow_type: Optional[str] = None
    task_id: Optional[str] = None
    reason_for_incompletion: Optional[str] = None
    callback_after_seconds: Optional[int] = None
    worker_id: Optional[str] = None
    output_data: Optional[dict] = None
    workflow_task: Optional[WorkflowTask] = None
    domain: Optional[str] = None
    rate_limit_per_frequency: Optional[int] = None
    rate_limit_frequency_in_seconds: Optional[int] = None
    external_input_payload_storage_path: Optional[str] = None
    external_output_payload_storage_path: Optional[str] = None
    workflow_priority: Optional[int] = None
    execution_name_space: Optional[str] = None
    isolation_group_id: Optional[str] = None
    iteration: Optional[int] = None
    sub_workflow_id: Optional[str] = None
    subworkflow_changed: Optional[bool] = None
    parent_task_id: Optional[str] = None
    first_start_time: Optional[int] = None
    queue_wait_time: Optional[int] = None
    loop_over_task: Optional[bool] = None
    extra: dict = extra_field()

    @property
    def task_status(self) -> TaskStatus:
        return TaskStatus(self.status)


class _WorkflowLike(DiagramDisplay):
    """Helpers shared by Workflow and WorkflowRun (the official SDK offers them on both)."""

    status: Optional[str]
    tasks: Optional[list[Task]]

    def is_completed(self) -> bool:
        """True when the workflow reached a terminal status (COMPLETED, FAILED, TIMED_OUT or TERMINATED)."""
        return self.status is not None and WorkflowStatus(self.status).is_terminal

    def is_successful(self) -> bool:
        return self.status == WorkflowStatus.COMPLETED

    def is_running(self) -> bool:
        return self.status in (WorkflowStatus.RUNNING, WorkflowStatus.PAUSED)

    @property
    def current_task(self) -> Optional[Task]:
        """The latest task that is still scheduled or in progress."""
        for task in reversed(self.tasks or []):
            if task.status in (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS):
                return task
        return None

    def get_task(self, name: Optional[str] = None, task_reference_name: Optional[str] = None) -> Optional[Task]:
        """The latest task with this task definition name or reference name."""
        if (name is None) == (task_reference_name is None):
            raise ValueError("give exactly one of name and task_reference_name")
        for task in reversed(self.tasks or []):
            if (name is not None and task.task_def_name == name) or (
                task_reference_name is not None and task.reference_task_name == task_reference_name
            ):
                return task
        return None


@model
class Workflow(_WorkflowLike, Model):
    status: Optional[str] = None
    end_time: Optional[int] = None
    workflow_id: Optional[str] = None
    parent_workflow_id: Optional[str] = None
    parent_workflow_task_id: Optional[str] = None
    tasks: Optional[list[Task]] = None
    input: Optional[dict] = None
    output: Optional[dict] = None
    correlation_id: Optional[str] = None
    re_run_from_workflow_id: Optional[str] = None
    reason_for_incompletion: Optional[str] = None
    event: Optional[str] = None
    task_to_domain: Optional[dict] = None
    failed_reference_task_names: Optional[list] = None
    failed_task_names: Optional[list] = None
    workflow_definition: Optional[WorkflowDef] = None
    external_input_payload_storage_path: Optional[str] = None
    external_output_payload_storage_path: Optional[str] = None
    priority: Optional[int] = None
    variables: Optional[dict] = None
    last_retried_time: Optional[int] = None
    history: Optional[list[Workflow]] = None
    idempotency_key: Optional[str] = None
    rate_limit_key: Optional[str] = None
    rate_limited: Optional[bool] = None
    owner_app: Optional[str] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    created_by: Optional[str] = None
    updated_by: Optional[str] = None
    workflow_name: Optional[str] = None
    workflow_version: Optional[int] = None
    start_time: Optional[int] = None
    extra: dict = extra_field()


@model
class WorkflowRun(_WorkflowLike, Model):
    """What a synchronous execute returns: the workflow's state when it ended or the wait ran out."""

    response_type: Optional[str] = None
    target_workflow_id: Optional[str] = None
    target_workflow_status: Optional[str] = None
    request_id: Optional[str] = None
    workflow_id: Optional[str] = None
    correlation_id: Optional[str] = None
    input: Optional[dict] = None
    output: Optional[dict] = None
    signal_timeout: Optional[bool] = None
    priority: Optional[int] = None
    variables: Optional[dict] = None
    tasks: Optional[list[Task]] = None
    created_by: Optional[str] = None
    create_time: Optional[int] = None
    status: Optional[str] = None
    update_time: Optional[int] = None
    reason_for_incompletion: Optional[str] = None
    extra: dict = extra_field()


@model
class WorkflowStatusResponse(Model):
    """GET /workflow/{id}/status: a workflow's status with, on request, its output and variables."""

    workflow_id: Optional[str] = None
    correlation_id: Optional[str] = None
    output: Optional[dict] = None
    variables: Optional[dict] = None
    status: Optional[str] = None
    extra: dict = extra_field()


@model
class TaskResult(Model):
    workflow_instance_id: Optional[str] = None
    task_id: Optional[str] = None
    reason_for_incompletion: Optional[str] = None
    callback_after_seconds: Optional[int] = None
    worker_id: Optional[str] = None
    status: Optional[str] = None
    output_data: Optional[dict] = None
    logs: Optional[list[TaskExecLog]] = None
    external_output_payload_storage_path: Optional[str] = None
    sub_workflow_id: Optional[str] = None
    extend_lease: Optional[bool] = None
    extra: dict = extra_field()

    def add_output_data(self, key: str, value) -> None:
        if self.output_data is None:
            self.output_data = {}
        self.output_data[key] = value

    def log(self, message: str) -> None:
        """Add a log line, stamped now (epoch ms): Conductor stores a log without createdTime as 0."""
        if self.logs is None:
            self.logs = []
        self.logs.append(TaskExecLog(log=message, task_id=self.task_id, created_time=int(time.time() * 1000)))


@model
class PollData(Model):
    queue_name: Optional[str] = None
    domain: Optional[str] = None
    worker_id: Optional[str] = None
    last_poll_time: Optional[int] = None
    extra: dict = extra_field()
