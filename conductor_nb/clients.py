"""The official SDK's clients (workflow, metadata, task) and OrkesClients, over any ConductorAPI."""

from __future__ import annotations

from typing import Optional

from .api import ConductorAPI, connect
from .config import Configuration
from .models import (
    CorrelationIdsSearchRequest,
    PollData,
    RerunWorkflowRequest,
    SearchResult,
    SkipTaskRequest,
    StartWorkflowRequest,
    Task,
    TaskDef,
    TaskExecLog,
    TaskResult,
    Workflow,
    WorkflowDef,
    WorkflowRun,
    WorkflowStateUpdate,
    WorkflowStatusResponse,
    WorkflowTestRequest,
)


class _Client:
    def __init__(self, configuration: Optional[Configuration] = None, api: Optional[ConductorAPI] = None):
        self.configuration = configuration or Configuration()
        self.api = api or connect(self.configuration)


class MetadataClient(_Client):
    """Workflow and task definitions: /api/metadata."""

    def register_workflow_def(self, workflow_def: WorkflowDef, overwrite: bool = True) -> None:
        self.api.register_workflow_def(workflow_def, overwrite=overwrite)

    def update_workflow_def(self, workflow_def: WorkflowDef, overwrite: bool = True) -> None:
        self.api.update_workflow_defs([workflow_def])

    def unregister_workflow_def(self, name: str, version: int) -> None:
        self.api.unregister_workflow_def(name, version)

    def get_workflow_def(self, name: str, version: Optional[int] = None) -> WorkflowDef:
        return self.api.get_workflow_def(name, version)

    def get_all_workflow_defs(self) -> list[WorkflowDef]:
        return self.api.get_all_workflow_defs()

    def register_task_def(self, task_def: TaskDef | list[TaskDef]) -> None:
        self.api.register_task_defs(task_def if isinstance(task_def, list) else [task_def])

    def update_task_def(self, task_def: TaskDef) -> None:
        self.api.update_task_def(task_def)

    def unregister_task_def(self, task_type: str) -> None:
        self.api.unregister_task_def(task_type)

    def get_task_def(self, task_type: str) -> TaskDef:
        return self.api.get_task_def(task_type)

    def get_all_task_defs(self) -> list[TaskDef]:
        return self.api.get_all_task_defs()


class WorkflowClient(_Client):
    """Starting, reading and steering workflow executions: /api/workflow."""

    def start_workflow_by_name(self, name: str, input: dict, version: Optional[int] = None,
                               correlationId: Optional[str] = None, priority: Optional[int] = None) -> str:
        return self.api.start_workflow(StartWorkflowRequest(
            name=name, input=input, version=version, correlation_id=correlationId, priority=priority))

    def start_workflow(self, start_workflow_request: StartWorkflowRequest) -> str:
        return self.api.start_workflow(start_workflow_request)

    def execute_workflow(self, start_workflow_request: StartWorkflowRequest, request_id: Optional[str] = None,
                         wait_until_task_ref: Optional[str] = None, wait_for_seconds: int = 30) -> WorkflowRun:
        return self.api.execute_workflow(start_workflow_request, request_id, wait_until_task_ref, wait_for_seconds)

    def get_workflow(self, workflow_id: str, include_tasks: bool = True) -> Workflow:
        return self.api.get_workflow(workflow_id, include_tasks)

    def get_workflow_status(self, workflow_id: str, include_output: Optional[bool] = None,
                            include_variables: Optional[bool] = None) -> WorkflowStatusResponse:
        return self.api.get_workflow_status(workflow_id, bool(include_output), bool(include_variables))

    def terminate_workflow(self, workflow_id: str, reason: Optional[str] = None,
                           trigger_failure_workflow: bool = False) -> None:
        self.api.terminate_workflow(workflow_id, reason, trigger_failure_workflow)

    def pause_workflow(self, workflow_id: str) -> None:
        self.api.pause_workflow(workflow_id)

    def resume_workflow(self, workflow_id: str) -> None:
        self.api.resume_workflow(workflow_id)

    def delete_workflow(self, workflow_id: str, archive_workflow: bool = True) -> None:
        self.api.delete_workflow(workflow_id, archive_workflow)

    def remove_workflow(self, workflow_id: str) -> None:
        self.api.delete_workflow(workflow_id)

    def retry_workflow(self, workflow_id: str, resume_subworkflow_tasks: bool = False) -> None:
        self.api.retry_workflow(workflow_id, resume_subworkflow_tasks)

    def restart_workflow(self, workflow_id: str, use_latest_def: bool = False) -> None:
        self.api.restart_workflow(workflow_id, use_latest_def)

    def rerun_workflow(self, workflow_id: str, rerun_workflow_request: RerunWorkflowRequest) -> str:
        return self.api.rerun_workflow(workflow_id, rerun_workflow_request)

    def skip_task_from_workflow(self, workflow_id: str, task_reference_name: str,
                                request: Optional[SkipTaskRequest] = None) -> None:
        self.api.skip_task_from_workflow(workflow_id, task_reference_name, request)

    def test_workflow(self, test_request: WorkflowTestRequest) -> Workflow:
        return self.api.test_workflow(test_request)

    def search(self, start: int = 0, size: int = 100, free_text: str = "*", query: Optional[str] = None,
               query_id: Optional[str] = None, sort: Optional[str] = None) -> SearchResult:
        """Workflows matching Conductor's query language (`workflowType = 'x' AND status = 'FAILED'`) and free text."""
        return self.api.search_workflows(start, size, sort, free_text, query)

    def get_by_correlation_ids(self, workflow_name: str, correlation_ids: list[str], include_completed: bool = False,
                               include_tasks: bool = False) -> dict[str, list[Workflow]]:
        return self.api.get_workflows_by_correlation_ids(workflow_name, correlation_ids, include_completed,
                                                         include_tasks)

    def get_by_correlation_ids_in_batch(self, batch_request: CorrelationIdsSearchRequest,
                                        include_completed: bool = False,
                                        include_tasks: bool = False) -> dict[str, list[Workflow]]:
        found: dict[str, list[Workflow]] = {}
        for name in batch_request.workflow_names or []:
            for corr, flows in self.get_by_correlation_ids(name, batch_request.correlation_ids or [],
                                                           include_completed, include_tasks).items():
                found.setdefault(corr, []).extend(flows)
        return found

    def update_variables(self, workflow_id: str, variables: Optional[dict] = None) -> None:
        self.api.update_workflow_variables(workflow_id, variables or {})

    def update_state(self, workflow_id: str, update_requesst: WorkflowStateUpdate,
                     wait_until_task_ref_names: Optional[list[str]] = None,
                     wait_for_seconds: Optional[int] = None) -> WorkflowRun:
        return self.api.update_workflow_state(workflow_id, update_requesst, None,
                                              ",".join(wait_until_task_ref_names or []) or None,
                                              10 if wait_for_seconds is None else wait_for_seconds)


class TaskClient(_Client):
    """Polling, updating and inspecting tasks: /api/tasks."""

    def poll_task(self, task_type: str, worker_id: Optional[str] = None,
                  domain: Optional[str] = None) -> Optional[Task]:
        return self.api.poll_task(task_type, worker_id, domain)

    def batch_poll_tasks(self, task_type: str, worker_id: Optional[str] = None, count: Optional[int] = None,
                         timeout_in_millisecond: Optional[int] = None, domain: Optional[str] = None) -> list[Task]:
        return self.api.batch_poll_tasks(task_type, worker_id, count or 1,
                                         100 if timeout_in_millisecond is None else timeout_in_millisecond, domain)

    def get_task(self, task_id: str) -> Task:
        return self.api.get_task(task_id)

    def update_task(self, task_result: TaskResult) -> str:
        return self.api.update_task(task_result)

    def update_task_by_ref_name(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                                worker_id: Optional[str] = None) -> str:
        return self.api.update_task_by_ref_name(workflow_id, task_ref_name, status, output, worker_id)

    def update_task_sync(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                         worker_id: Optional[str] = None) -> Workflow:
        return self.api.update_task_by_ref_name_sync(workflow_id, task_ref_name, status, output, worker_id)

    def get_queue_size_for_task(self, task_type: str) -> int:
        return self.api.get_queue_sizes([task_type]).get(task_type, 0)

    def get_task_poll_data(self, task_type: str) -> list[PollData]:
        return self.api.get_poll_data(task_type)

    def add_task_log(self, task_id: str, log_message: str) -> None:
        self.api.add_task_log(task_id, log_message)

    def get_task_logs(self, task_id: str) -> list[TaskExecLog]:
        return self.api.get_task_logs(task_id)


class OrkesClients:
    """Every client for one configuration, as in the official SDK (`OrkesClients(configuration)`)."""

    def __init__(self, configuration: Optional[Configuration] = None, metrics_collector=None):
        self.configuration = configuration or Configuration()

    def get_workflow_client(self) -> WorkflowClient:
        return WorkflowClient(self.configuration)

    def get_metadata_client(self) -> MetadataClient:
        return MetadataClient(self.configuration)

    def get_task_client(self) -> TaskClient:
        return TaskClient(self.configuration)

    def get_workflow_executor(self):
        from .workflow.executor import WorkflowExecutor

        return WorkflowExecutor(self.configuration)


# The official SDK's implementation class names, for code ported from it.
OrkesWorkflowClient = WorkflowClient
OrkesMetadataClient = MetadataClient
OrkesTaskClient = TaskClient
ConductorClients = OrkesClients
