"""HttpConductor: the ConductorAPI over HTTP, for Conductor OSS, Orkes, or `conductor-nb server`."""

from __future__ import annotations

import math
import typing
from typing import Any, Optional
from urllib.parse import quote

from ..config import AuthenticationSettings
from ..errors import ConductorError
from ..models import (
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
from .endpoints import BY_OP, Endpoint, Reply
from .response import Response
from .transport import Transport
from .wire import read

FALLBACK_STATUSES = (404, 405)  # what a server without /tasks/update-v2 answers


class HttpConductor:
    """Conductor's REST API as the ConductorAPI methods: models in and out, errors as ConductorError subclasses.

    Connections are pooled and kept alive; calls that the server may hold (long polls, sync executes) get a read
    timeout longer than their wait. See `transport` for the retry policy and `auth` for Orkes tokens.
    """

    def __init__(self, server_api_url: str, authentication_settings: Optional[AuthenticationSettings] = None, *,
                 token_ttl_s: float = 45 * 60, connect_timeout_s: float = 5.0, read_timeout_s: float = 30.0,
                 retries: int = 3):
        self._transport = Transport(server_api_url, authentication_settings, token_ttl_s=token_ttl_s,
                                    connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s,
                                    retries=retries)
        self._has_update_v2 = True

    @property
    def server_api_url(self) -> str:
        return self._transport.server_api_url

    def close(self) -> None:
        """Close the pooled connections."""
        self._transport.close()

    def __repr__(self) -> str:
        return f"HttpConductor({self.server_api_url!r})"

    # -- metadata -----------------------------------------------------------------------------------------------
    def register_workflow_def(self, workflow_def: WorkflowDef, overwrite: bool = False) -> None:
        self._call("register_workflow_def", workflow_def=workflow_def, overwrite=overwrite)

    def update_workflow_defs(self, workflow_defs: list[WorkflowDef]) -> None:
        self._call("update_workflow_defs", workflow_defs=workflow_defs)

    def get_workflow_def(self, name: str, version: Optional[int] = None) -> WorkflowDef:
        return self._call("get_workflow_def", name=name, version=version)

    def get_all_workflow_defs(self) -> list[WorkflowDef]:
        return self._call("get_all_workflow_defs")

    def unregister_workflow_def(self, name: str, version: int) -> None:
        self._call("unregister_workflow_def", name=name, version=version)

    def register_task_defs(self, task_defs: list[TaskDef]) -> None:
        self._call("register_task_defs", task_defs=task_defs)

    def update_task_def(self, task_def: TaskDef) -> None:
        self._call("update_task_def", task_def=task_def)

    def get_task_def(self, name: str) -> TaskDef:
        return self._call("get_task_def", name=name)

    def get_all_task_defs(self) -> list[TaskDef]:
        return self._call("get_all_task_defs")

    def unregister_task_def(self, name: str) -> None:
        self._call("unregister_task_def", name=name)

    # -- workflows ----------------------------------------------------------------------------------------------
    def start_workflow(self, request: StartWorkflowRequest) -> str:
        return self._call("start_workflow", request=request)

    def execute_workflow(self, request: StartWorkflowRequest, request_id: Optional[str] = None,
                         wait_until_task_ref: Optional[str] = None, wait_for_seconds: int = 10) -> WorkflowRun:
        return self._call("execute_workflow", wait_s=wait_for_seconds, name=request.name,
                          version=request.version or 0, request=request, request_id=request_id,
                          wait_until_task_ref=wait_until_task_ref, wait_for_seconds=_whole(wait_for_seconds))

    def get_workflow(self, workflow_id: str, include_tasks: bool = True) -> Workflow:
        return self._call("get_workflow", workflow_id=workflow_id, include_tasks=include_tasks)

    def get_workflow_status(self, workflow_id: str, include_output: bool = False,
                            include_variables: bool = False) -> WorkflowStatusResponse:
        return self._call("get_workflow_status", workflow_id=workflow_id, include_output=include_output,
                          include_variables=include_variables)

    def terminate_workflow(self, workflow_id: str, reason: Optional[str] = None,
                           trigger_failure_workflow: bool = False) -> None:
        self._call("terminate_workflow", workflow_id=workflow_id, reason=reason,
                   trigger_failure_workflow=trigger_failure_workflow)

    def pause_workflow(self, workflow_id: str) -> None:
        self._call("pause_workflow", workflow_id=workflow_id)

    def resume_workflow(self, workflow_id: str) -> None:
        self._call("resume_workflow", workflow_id=workflow_id)

    def retry_workflow(self, workflow_id: str, resume_subworkflow_tasks: bool = False) -> None:
        self._call("retry_workflow", workflow_id=workflow_id, resume_subworkflow_tasks=resume_subworkflow_tasks)

    def restart_workflow(self, workflow_id: str, use_latest_definitions: bool = False) -> None:
        self._call("restart_workflow", workflow_id=workflow_id, use_latest_definitions=use_latest_definitions)

    def rerun_workflow(self, workflow_id: str, request: RerunWorkflowRequest) -> str:
        return self._call("rerun_workflow", workflow_id=workflow_id, request=request)

    def skip_task_from_workflow(self, workflow_id: str, task_reference_name: str,
                                request: Optional[SkipTaskRequest] = None) -> None:
        self._call("skip_task_from_workflow", workflow_id=workflow_id, task_reference_name=task_reference_name,
                   request=request)

    def delete_workflow(self, workflow_id: str, archive_workflow: bool = True) -> None:
        self._call("delete_workflow", workflow_id=workflow_id, archive_workflow=archive_workflow)

    def update_workflow_variables(self, workflow_id: str, variables: dict) -> Workflow:
        return self._call("update_workflow_variables", workflow_id=workflow_id, variables=variables)

    def update_workflow_state(self, workflow_id: str, update: WorkflowStateUpdate, request_id: Optional[str] = None,
                              wait_until_task_ref: Optional[str] = None,
                              wait_for_seconds: int = 10) -> WorkflowRun:
        return self._call("update_workflow_state", wait_s=wait_for_seconds, workflow_id=workflow_id, update=update,
                          request_id=request_id, wait_until_task_ref=wait_until_task_ref,
                          wait_for_seconds=_whole(wait_for_seconds))

    def get_running_workflows(self, name: str, version: Optional[int] = None, start_time: Optional[int] = None,
                              end_time: Optional[int] = None) -> list[str]:
        return self._call("get_running_workflows", name=name, version=version, start_time=start_time,
                          end_time=end_time)

    def get_workflows_by_correlation_id(self, name: str, correlation_id: str, include_closed: bool = False,
                                        include_tasks: bool = False) -> list[Workflow]:
        return self._call("get_workflows_by_correlation_id", name=name, correlation_id=correlation_id,
                          include_closed=include_closed, include_tasks=include_tasks)

    def get_workflows_by_correlation_ids(self, name: str, correlation_ids: list[str], include_closed: bool = False,
                                         include_tasks: bool = False) -> dict[str, list[Workflow]]:
        return self._call("get_workflows_by_correlation_ids", name=name, correlation_ids=correlation_ids,
                          include_closed=include_closed, include_tasks=include_tasks)

    def search_workflows(self, start: int = 0, size: int = 100, sort: Optional[str] = None, free_text: str = "*",
                         query: Optional[str] = None) -> SearchResult:
        return self._call("search_workflows", start=start, size=size, sort=sort, free_text=free_text, query=query)

    def search_tasks(self, start: int = 0, size: int = 100, sort: Optional[str] = None, free_text: str = "*",
                     query: Optional[str] = None) -> SearchResult:
        return self._call("search_tasks", start=start, size=size, sort=sort, free_text=free_text, query=query)

    def test_workflow(self, request: WorkflowTestRequest) -> Workflow:
        return self._call("test_workflow", request=request)

    # -- tasks --------------------------------------------------------------------------------------------------
    def poll_task(self, task_type: str, worker_id: Optional[str] = None,
                  domain: Optional[str] = None) -> Optional[Task]:
        return self._call("poll_task", task_type=task_type, worker_id=worker_id, domain=domain)

    def batch_poll_tasks(self, task_type: str, worker_id: Optional[str] = None, count: int = 1,
                         timeout_ms: int = 100, domain: Optional[str] = None) -> list[Task]:
        return self._call("batch_poll_tasks", wait_s=(timeout_ms or 0) / 1000, task_type=task_type,
                          worker_id=worker_id, count=count, timeout_ms=timeout_ms, domain=domain)

    def update_task(self, result: TaskResult) -> str:
        return self._call("update_task", result=result)

    def update_task_v2(self, result: TaskResult) -> Optional[Task]:
        """POST /tasks/update-v2; on a server without it (404/405), POST /tasks and None from then on."""
        if not self._has_update_v2:
            self.update_task(result)
            return None
        try:
            return self._call("update_task_v2", result=result)
        except ConductorError as e:
            if e.status not in FALLBACK_STATUSES:
                raise
        self.update_task(result)
        # /tasks took the result, so the task exists: it was the endpoint that was missing.
        self._has_update_v2 = False
        return None

    def update_task_by_ref_name(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                                worker_id: Optional[str] = None) -> str:
        return self._call("update_task_by_ref_name", workflow_id=workflow_id, task_ref_name=task_ref_name,
                          status=status, output=output, worker_id=worker_id)

    def update_task_by_ref_name_sync(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                                     worker_id: Optional[str] = None) -> Workflow:
        return self._call("update_task_by_ref_name_sync", workflow_id=workflow_id, task_ref_name=task_ref_name,
                          status=status, output=output, worker_id=worker_id)

    def signal_workflow_task(self, workflow_id: str, status: str, output: dict) -> None:
        self._call("signal_workflow_task", workflow_id=workflow_id, status=status, output=output)

    def signal_workflow_task_sync(self, workflow_id: str, status: str, output: dict,
                                  return_strategy: str = "TARGET_WORKFLOW",
                                  timeout_millis: int = 5000) -> Optional[WorkflowRun]:
        return self._call("signal_workflow_task_sync", wait_s=(timeout_millis or 0) / 1000, workflow_id=workflow_id,
                          status=status, output=output, return_strategy=return_strategy,
                          timeout_millis=timeout_millis)

    def get_task(self, task_id: str) -> Task:
        return self._call("get_task", task_id=task_id)

    def add_task_log(self, task_id: str, message: str) -> None:
        self._call("add_task_log", task_id=task_id, message=message)

    def get_task_logs(self, task_id: str) -> list[TaskExecLog]:
        return self._call("get_task_logs", task_id=task_id)

    def get_queue_sizes(self, task_types: list[str]) -> dict[str, int]:
        return self._call("get_queue_sizes", task_types=task_types)

    def get_poll_data(self, task_type: str) -> list[PollData]:
        return self._call("get_poll_data", task_type=task_type)

    # -- the wire -----------------------------------------------------------------------------------------------
    def _call(self, op: str, wait_s: float = 0.0, **args: Any) -> Any:
        endpoint = BY_OP[op]
        body = args.get(endpoint.body.arg) if endpoint.body else None
        is_text = endpoint.body is not None and endpoint.body.type is str
        response = self._transport.request(
            endpoint.method, _path(endpoint, args), params=_query(endpoint, args),
            json_body=None if is_text else body, text_body=body if is_text else None, wait_s=wait_s or 0.0,
        )
        return _result(endpoint, response)


def _whole(seconds: Optional[float]) -> Optional[int]:
    """Conductor's waitForSeconds is an Integer (a fraction is a 500 there): a fractional wait rounds up."""
    return None if seconds is None else math.ceil(seconds)


def _path(endpoint: Endpoint, args: dict) -> str:
    path = endpoint.path
    for param in endpoint.path_params:
        path = path.replace("{%s}" % param.name, quote(_text(args[param.argument]), safe=""))
    return path


def _query(endpoint: Endpoint, args: dict) -> list[tuple[str, str]]:
    query = []
    for param in endpoint.query_params:
        value = args.get(param.argument)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is not None:
                query.append((param.name, _text(item)))
    return query


def _text(value: Any) -> str:
    """A parameter as Conductor reads it: booleans in lower case, whole floats without a fraction."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _result(endpoint: Endpoint, response: Response) -> Any:
    if endpoint.returns is None:
        return None
    if endpoint.reply is Reply.TEXT:
        return response.text
    if response.status_code == 204 or not response.content:
        return [] if typing.get_origin(endpoint.returns) is list else None
    return read(endpoint.returns, response.json())
