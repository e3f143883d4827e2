"""ConductorAPI: Conductor's REST resources as Python methods, implemented by the Engine and (over HTTP) by servers.

Everything above this layer (clients, DSL, workers, notebook) talks only to this protocol, so it runs unchanged
on the embedded engine or on a real Conductor server.
"""

from __future__ import annotations

import threading
from typing import Optional, Protocol

from .config import Configuration
from .models import (
    StartWorkflowRequest,
    Task,
    TaskDef,
    TaskExecLog,
    TaskResult,
    Workflow,
    WorkflowDef,
    WorkflowRun,
    WorkflowStatusResponse,
)


class ConductorAPI(Protocol):
    # metadata: /api/metadata
    def register_workflow_def(self, workflow_def: WorkflowDef, overwrite: bool = False) -> None: ...
    def update_workflow_defs(self, workflow_defs: list[WorkflowDef]) -> None: ...
    def get_workflow_def(self, name: str, version: Optional[int] = None) -> WorkflowDef: ...
    def get_all_workflow_defs(self) -> list[WorkflowDef]: ...
    def unregister_workflow_def(self, name: str, version: int) -> None: ...
    def register_task_defs(self, task_defs: list[TaskDef]) -> None: ...
    def update_task_def(self, task_def: TaskDef) -> None: ...
    def get_task_def(self, name: str) -> TaskDef: ...
    def get_all_task_defs(self) -> list[TaskDef]: ...
    def unregister_task_def(self, name: str) -> None: ...

    # workflows: /api/workflow
    def start_workflow(self, request: StartWorkflowRequest) -> str: ...
    def execute_workflow(self, request: StartWorkflowRequest, request_id: Optional[str] = None,
                         wait_until_task_ref: Optional[str] = None, wait_for_seconds: int = 10) -> WorkflowRun: ...
    def get_workflow(self, workflow_id: str, include_tasks: bool = True) -> Workflow: ...
    def get_workflow_status(self, workflow_id: str, include_output: bool = False,
                            include_variables: bool = False) -> WorkflowStatusResponse: ...
    def terminate_workflow(self, workflow_id: str, reason: Optional[str] = None,
                           trigger_failure_workflow: bool = False) -> None: ...
    def pause_workflow(self, workflow_id: str) -> None: ...
    def resume_workflow(self, workflow_id: str) -> None: ...
    def delete_workflow(self, workflow_id: str, archive_workflow: bool = True) -> None: ...

    # tasks: /api/tasks
    def poll_task(self, task_type: str, worker_id: Optional[str] = None,
                  domain: Optional[str] = None) -> Optional[Task]: ...
    def batch_poll_tasks(self, task_type: str, worker_id: Optional[str] = None, count: int = 1,
                         timeout_ms: int = 100, domain: Optional[str] = None) -> list[Task]: ...
    def update_task(self, result: TaskResult) -> str: ...
    def update_task_by_ref_name(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                                worker_id: Optional[str] = None) -> str: ...
    def get_task(self, task_id: str) -> Task: ...
    def add_task_log(self, task_id: str, message: str) -> None: ...
    def get_task_logs(self, task_id: str) -> list[TaskExecLog]: ...


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

        return Engine(configuration.db_path)
    from .errors import ConductorError

    raise ConductorError(
        f"CONDUCTOR_SERVER_URL is set to {configuration.host!r}, but this version of conductor_nb only runs the "
        "embedded engine; unset CONDUCTOR_SERVER_URL to use it"
    )
