"""WorkflowExecutor: the official SDK's one-stop object for registering, running and steering workflows."""

from __future__ import annotations

from typing import Optional

from ..clients import MetadataClient, TaskClient, WorkflowClient
from ..config import Configuration
from ..models import (
    RerunWorkflowRequest,
    SearchResult,
    SkipTaskRequest,
    StartWorkflowRequest,
    Task,
    TaskResult,
    Workflow,
    WorkflowDef,
    WorkflowRun,
    WorkflowStatusResponse,
    WorkflowTestRequest,
)


class WorkflowExecutor:
    def __init__(self, configuration: Optional[Configuration] = None, metrics_collector=None):
        self.configuration = configuration or Configuration()
        self.metadata_client = MetadataClient(self.configuration)
        self.workflow_client = WorkflowClient(self.configuration, self.metadata_client.api)
        self.task_client = TaskClient(self.configuration, self.metadata_client.api)

    def register_workflow(self, workflow: WorkflowDef, overwrite: Optional[bool] = None) -> None:
        self.metadata_client.register_workflow_def(workflow, overwrite=bool(overwrite))

    def start_workflow(self, start_workflow_request: StartWorkflowRequest) -> str:
        return self.workflow_client.start_workflow(start_workflow_request)

    def start_workflows(self, *start_workflow_requests: StartWorkflowRequest) -> list[str]:
        return [self.start_workflow(r) for r in start_workflow_requests]

    def execute_workflow(self, request: StartWorkflowRequest, wait_until_task_ref: Optional[str] = None,
                         wait_for_seconds: int = 10, request_id: Optional[str] = None) -> WorkflowRun:
        return self.workflow_client.execute_workflow(request, request_id, wait_until_task_ref, wait_for_seconds)

    def execute(self, name: str, version: Optional[int] = None, workflow_input: Optional[dict] = None,
                wait_until_task_ref: Optional[str] = None, wait_for_seconds: int = 10,
                request_id: Optional[str] = None, correlation_id: Optional[str] = None,
                domain: Optional[str] = None) -> WorkflowRun:
        """Start the workflow `name` and wait up to `wait_for_seconds` for it to end (or reach a task ref)."""
        request = StartWorkflowRequest(
            name=name, version=version, input=workflow_input or {}, correlation_id=correlation_id,
            task_to_domain={"*": domain} if domain else None,
        )
        return self.execute_workflow(request, wait_until_task_ref, wait_for_seconds, request_id)

    def get_workflow(self, workflow_id: str, include_tasks: Optional[bool] = None) -> Workflow:
        return self.workflow_client.get_workflow(workflow_id, include_tasks is not False)

    def get_workflow_status(self, workflow_id: str, include_output: Optional[bool] = None,
                            include_variables: Optional[bool] = None) -> WorkflowStatusResponse:
        return self.workflow_client.get_workflow_status(workflow_id, include_output, include_variables)

    def pause(self, workflow_id: str) -> None:
        self.workflow_client.pause_workflow(workflow_id)

    def resume(self, workflow_id: str) -> None:
        self.workflow_client.resume_workflow(workflow_id)

    def terminate(self, workflow_id: str, reason: Optional[str] = None,
                  trigger_failure_workflow: Optional[bool] = None) -> None:
        self.workflow_client.terminate_workflow(workflow_id, reason, bool(trigger_failure_workflow))

    def remove_workflow(self, workflow_id: str, archive_workflow: Optional[bool] = None) -> None:
        self.workflow_client.delete_workflow(workflow_id, archive_workflow is not False)

    def restart(self, workflow_id: str, use_latest_definitions: Optional[bool] = None) -> None:
        self.workflow_client.restart_workflow(workflow_id, bool(use_latest_definitions))

    def retry(self, workflow_id: str, resume_subworkflow_tasks: Optional[bool] = None) -> None:
        self.workflow_client.retry_workflow(workflow_id, bool(resume_subworkflow_tasks))

    def rerun(self, rerun_workflow_request: RerunWorkflowRequest, workflow_id: str) -> str:
        return self.workflow_client.rerun_workflow(workflow_id, rerun_workflow_request)

    def skip_task_from_workflow(self, workflow_id: str, task_reference_name: str,
                                skip_task_request: Optional[SkipTaskRequest] = None) -> None:
        self.workflow_client.skip_task_from_workflow(workflow_id, task_reference_name, skip_task_request)

    def search(self, query_id: Optional[str] = None, start: Optional[int] = None, size: Optional[int] = None,
               sort: Optional[str] = None, free_text: Optional[str] = None,
               query: Optional[str] = None) -> SearchResult:
        return self.workflow_client.search(start or 0, 100 if size is None else size, free_text or "*", query,
                                           sort=sort)

    def get_by_correlation_ids(self, workflow_name: str, correlation_ids: list[str],
                               include_closed: Optional[bool] = None,
                               include_tasks: Optional[bool] = None) -> dict[str, list[Workflow]]:
        return self.workflow_client.get_by_correlation_ids(workflow_name, correlation_ids, bool(include_closed),
                                                           bool(include_tasks))

    def signal(self, workflow_id: str, status: str, body: dict,
               return_strategy: Optional[str] = None) -> Optional[WorkflowRun]:
        """Complete the workflow's first pending WAIT (searching its running sub-workflows) with `body` as its
        output, then wait (up to 5 s) until the workflow ends or blocks again: the SignalResponse, per
        `return_strategy` (TARGET_WORKFLOW by default, BLOCKING_WORKFLOW, BLOCKING_TASK, BLOCKING_TASK_INPUT).
        NotFoundError when there is no WAIT to complete."""
        return self.workflow_client.api.signal_workflow_task_sync(workflow_id, status, body or {},
                                                                  return_strategy or "TARGET_WORKFLOW")

    def signal_async(self, workflow_id: str, status: str, body: dict) -> None:
        """Complete the workflow's first pending WAIT (searching its running sub-workflows) without waiting for
        what follows; nothing happens when there is none."""
        self.workflow_client.api.signal_workflow_task(workflow_id, status, body or {})

    def test_workflow(self, test_request: WorkflowTestRequest) -> Workflow:
        return self.workflow_client.test_workflow(test_request)

    def get_task(self, task_id: str) -> Task:
        return self.task_client.get_task(task_id)

    def update_task(self, task_id: str, workflow_id: str, task_output: dict, status: str) -> str:
        return self.task_client.update_task(TaskResult(
            task_id=task_id, workflow_instance_id=workflow_id, output_data=task_output, status=status))

    def update_task_by_ref_name(self, task_output: dict, workflow_id: str, task_reference_name: str,
                                status: str) -> str:
        return self.task_client.update_task_by_ref_name(workflow_id, task_reference_name, status, task_output)
