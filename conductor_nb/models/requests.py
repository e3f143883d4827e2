"""Request bodies: starting, re-running, skipping and testing workflows."""

from __future__ import annotations

from typing import Optional

from .base import Model, extra_field, model
from .execution import TaskResult
from .metadata import WorkflowDef


@model
class StartWorkflowRequest(Model):
    name: Optional[str] = None
    version: Optional[int] = None
    correlation_id: Optional[str] = None
    input: Optional[dict] = None
    task_to_domain: Optional[dict] = None
    workflow_def: Optional[WorkflowDef] = None
    external_input_payload_storage_path: Optional[str] = None
    priority: Optional[int] = None
    created_by: Optional[str] = None
    idempotency_key: Optional[str] = None
    idempotency_strategy: Optional[str] = None
    extra: dict = extra_field()


@model
class RerunWorkflowRequest(Model):
    re_run_from_workflow_id: Optional[str] = None
    workflow_input: Optional[dict] = None
    re_run_from_task_id: Optional[str] = None
    task_input: Optional[dict] = None
    correlation_id: Optional[str] = None
    extra: dict = extra_field()


@model
class SkipTaskRequest(Model):
    task_input: Optional[dict] = None
    task_output: Optional[dict] = None
    extra: dict = extra_field()


@model
class TaskMock(Model):
    """One mocked result for a task in a workflow test; mocks for one reference are used in order."""

    status: Optional[str] = "COMPLETED"
    output: Optional[dict] = None
    execution_time: Optional[int] = None
    queue_wait_time: Optional[int] = None
    extra: dict = extra_field()


@model
class WorkflowTestRequest(StartWorkflowRequest):
    task_ref_to_mock_output: Optional[dict[str, list[TaskMock]]] = None
    sub_workflow_test_request: Optional[dict[str, WorkflowTestRequest]] = None


@model
class WorkflowStateUpdate(Model):
    task_reference_name: Optional[str] = None
    task_result: Optional[TaskResult] = None
    variables: Optional[dict] = None
    extra: dict = extra_field()


@model
class CorrelationIdsSearchRequest(Model):
    correlation_ids: Optional[list] = None
    workflow_names: Optional[list] = None
    extra: dict = extra_field()
