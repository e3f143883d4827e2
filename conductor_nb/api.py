"""ConductorAPI: Conductor's REST resources as Python methods, implemented by the Engine and (over HTTP) by servers.

Everything above this layer (clients, DSL, workers, notebook) talks only to this protocol, so it runs unchanged
on the embedded engine or on a real Conductor server.
"""

from __future__ import annotations

import threading
from typing import Optional, Protocol

from .config import Configuration
from .models import (
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


class ConductorAPI(Protocol):
    """Conductor's REST API as methods; each names the endpoint it mirrors. Errors are ConductorError subclasses."""

    # -- metadata: /api/metadata -------------------------------------------------------------------------------
    def register_workflow_def(self, workflow_def: WorkflowDef, overwrite: bool = False) -> None:
        """POST /metadata/workflow?overwrite= (409 if the name and version exist and overwrite is false)."""

    def update_workflow_defs(self, workflow_defs: list[WorkflowDef]) -> None:
        """PUT /metadata/workflow: create or replace each definition."""

    def get_workflow_def(self, name: str, version: Optional[int] = None) -> WorkflowDef:
        """GET /metadata/workflow/{name}?version= (the latest version when omitted)."""

    def get_all_workflow_defs(self) -> list[WorkflowDef]:
        """GET /metadata/workflow."""

    def unregister_workflow_def(self, name: str, version: int) -> None:
        """DELETE /metadata/workflow/{name}/{version}."""

    def register_task_defs(self, task_defs: list[TaskDef]) -> None:
        """POST /metadata/taskdefs: create or replace each task definition."""

    def update_task_def(self, task_def: TaskDef) -> None:
        """PUT /metadata/taskdefs (404 if it does not exist)."""

    def get_task_def(self, name: str) -> TaskDef:
        """GET /metadata/taskdefs/{name}."""

    def get_all_task_defs(self) -> list[TaskDef]:
        """GET /metadata/taskdefs."""

    def unregister_task_def(self, name: str) -> None:
        """DELETE /metadata/taskdefs/{name}."""

    # -- workflows: /api/workflow --------------------------------------------------------------------------------
    def start_workflow(self, request: StartWorkflowRequest) -> str:
        """POST /workflow: the new workflow's id."""

    def execute_workflow(self, request: StartWorkflowRequest, request_id: Optional[str] = None,
                         wait_until_task_ref: Optional[str] = None, wait_for_seconds: int = 10) -> WorkflowRun:
        """POST /workflow/execute/{name}/{version}: start, then wait for the end, a task ref, or the time limit."""

    def get_workflow(self, workflow_id: str, include_tasks: bool = True) -> Workflow:
        """GET /workflow/{id}?includeTasks=."""

    def get_workflow_status(self, workflow_id: str, include_output: bool = False,
                            include_variables: bool = False) -> WorkflowStatusResponse:
        """GET /workflow/{id}/status."""

    def terminate_workflow(self, workflow_id: str, reason: Optional[str] = None,
                           trigger_failure_workflow: bool = False) -> None:
        """DELETE /workflow/{id}?reason=&triggerFailureWorkflow=."""

    def pause_workflow(self, workflow_id: str) -> None:
        """PUT /workflow/{id}/pause."""

    def resume_workflow(self, workflow_id: str) -> None:
        """PUT /workflow/{id}/resume."""

    def retry_workflow(self, workflow_id: str, resume_subworkflow_tasks: bool = False) -> None:
        """POST /workflow/{id}/retry?resumeSubworkflowTasks=."""

    def restart_workflow(self, workflow_id: str, use_latest_definitions: bool = False) -> None:
        """POST /workflow/{id}/restart?useLatestDefinitions=."""

    def rerun_workflow(self, workflow_id: str, request: RerunWorkflowRequest) -> str:
        """POST /workflow/{id}/rerun: the workflow's id."""

    def skip_task_from_workflow(self, workflow_id: str, task_reference_name: str,
                                request: Optional[SkipTaskRequest] = None) -> None:
        """PUT /workflow/{id}/skiptask/{ref}."""

    def delete_workflow(self, workflow_id: str, archive_workflow: bool = True) -> None:
        """DELETE /workflow/{id}/remove?archiveWorkflow=."""

    def update_workflow_variables(self, workflow_id: str, variables: dict) -> Workflow:
        """POST /workflow/{id}/variables (Orkes): merge into the workflow's variables."""

    def update_workflow_state(self, workflow_id: str, update: WorkflowStateUpdate, request_id: Optional[str] = None,
                              wait_until_task_ref: Optional[str] = None,
                              wait_for_seconds: int = 10) -> WorkflowRun:
        """POST /workflow/{id}/state (Orkes): update a task by reference and/or variables, then wait as execute does."""

    def get_running_workflows(self, name: str, version: Optional[int] = None, start_time: Optional[int] = None,
                              end_time: Optional[int] = None) -> list[str]:
        """GET /workflow/running/{name}: ids of running workflows."""

    def get_workflows_by_correlation_id(self, name: str, correlation_id: str, include_closed: bool = False,
                                        include_tasks: bool = False) -> list[Workflow]:
        """GET /workflow/{name}/correlated/{correlationId}."""

    def get_workflows_by_correlation_ids(self, name: str, correlation_ids: list[str], include_closed: bool = False,
                                         include_tasks: bool = False) -> dict[str, list[Workflow]]:
        """POST /workflow/{name}/correlated."""

    def search_workflows(self, start: int = 0, size: int = 100, sort: Optional[str] = None, free_text: str = "*",
                         query: Optional[str] = None) -> SearchResult:
        """GET /workflow/search: a page of WorkflowSummary with the total count."""

    def search_tasks(self, start: int = 0, size: int = 100, sort: Optional[str] = None, free_text: str = "*",
                     query: Optional[str] = None) -> SearchResult:
        """GET /tasks/search: a page of TaskSummary with the total count."""

    def test_workflow(self, request: WorkflowTestRequest) -> Workflow:
        """POST /workflow/test: run with mocked task outputs."""

    # -- tasks: /api/tasks ---------------------------------------------------------------------------------------
    def poll_task(self, task_type: str, worker_id: Optional[str] = None,
                  domain: Optional[str] = None) -> Optional[Task]:
        """GET /tasks/poll/{type}: a task, or None (204) when there is none."""

    def batch_poll_tasks(self, task_type: str, worker_id: Optional[str] = None, count: int = 1,
                         timeout_ms: int = 100, domain: Optional[str] = None) -> list[Task]:
        """GET /tasks/poll/batch/{type}: up to `count` tasks, waiting up to `timeout_ms` (at most 5000) for one."""

    def update_task(self, result: TaskResult) -> str:
        """POST /tasks: the task's id."""

    def update_task_v2(self, result: TaskResult) -> Optional[Task]:
        """POST /tasks/update-v2: update, then hand back the next task of the same type and domain, if any."""

    def update_task_by_ref_name(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                                worker_id: Optional[str] = None) -> str:
        """POST /tasks/{workflowId}/{taskRefName}/{status}: the updated task's id."""

    def update_task_by_ref_name_sync(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                                     worker_id: Optional[str] = None) -> Workflow:
        """POST /tasks/{workflowId}/{taskRefName}/{status}/sync: the workflow after the update."""

    def signal_workflow_task(self, workflow_id: str, status: str, output: dict) -> None:
        """POST /tasks/{workflowId}/{status}/signal: complete the first pending WAIT, whatever its kind (searching
        running sub-workflows); nothing happens when there is none."""

    def signal_workflow_task_sync(self, workflow_id: str, status: str, output: dict,
                                  return_strategy: str = "TARGET_WORKFLOW",
                                  timeout_millis: int = 5000) -> Optional[WorkflowRun]:
        """POST /tasks/{workflowId}/{status}/signal/sync?returnStrategy=&timeoutMillis=: signal as above (404 when
        there is nothing to signal), wait up to `timeout_millis` for the workflow to end or block again, and answer
        a SignalResponse: the workflow (TARGET_WORKFLOW), the (sub-)workflow blocking now (BLOCKING_WORKFLOW), or
        the blocking WAIT as a TaskRun (BLOCKING_TASK, BLOCKING_TASK_INPUT; None when nothing blocks)."""

    def get_task(self, task_id: str) -> Task:
        """GET /tasks/{taskId}."""

    def add_task_log(self, task_id: str, message: str) -> None:
        """POST /tasks/{taskId}/log."""

    def get_task_logs(self, task_id: str) -> list[TaskExecLog]:
        """GET /tasks/{taskId}/log."""

    def get_queue_sizes(self, task_types: list[str]) -> dict[str, int]:
        """GET /tasks/queue/sizes?taskType=...: tasks waiting per task type."""

    def get_poll_data(self, task_type: str) -> list[PollData]:
        """GET /tasks/queue/polldata?taskType=: who polled each queue of the type, and when."""


_shared: dict[Configuration, ConductorAPI] = {}
_shared_lock = threading.Lock()


def connect(configuration: Optional[Configuration] = None) -> ConductorAPI:
    """The ConductorAPI for a configuration; equal configurations in one process share one instance."""
    configuration = configuration or Configuration()
    with _shared_lock:
        api = _shared.get(configuration)
        if api is None:
            api = _shared[configuration] = _open(configuration)
        return api


def _open(configuration: Configuration) -> ConductorAPI:
    if configuration.embedded:
        from .engine import Engine

        return Engine(configuration.db_path, clock=configuration.clock)
    from .http import HttpConductor

    return HttpConductor(configuration.host, configuration.authentication_settings,
                         token_ttl_s=configuration.auth_token_ttl_min * 60)
