"""Conductor's REST API as data: for each ConductorAPI method, its HTTP method, path, parameters, body and reply.

One table drives both sides of the wire: HttpConductor builds its requests from it and `conductor-nb server`
routes and documents requests with it, so the two cannot disagree. Paths are relative to the server's `/api`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any, Optional

from ..models import (
    PollData,
    RerunWorkflowRequest,
    SkipTaskRequest,
    StartWorkflowRequest,
    Task,
    TaskDef,
    TaskExecLog,
    TaskResult,
    TaskSummary,
    Workflow,
    WorkflowDef,
    WorkflowRun,
    WorkflowStateUpdate,
    WorkflowStatusResponse,
    WorkflowSummary,
    WorkflowTestRequest,
)

_PLACEHOLDER = re.compile(r"{(\w+)}")
_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    """`workflowId` -> `workflow_id`."""
    return _HUMP.sub(r"_\1", name).lower()


@dataclass(frozen=True)
class Param:
    """A path or query parameter: its wire name, the Python argument it binds, its type and its default."""

    name: str
    type: type = str  # str, int, float, bool, or list (repeated or comma-separated strings)
    default: Any = None
    arg: str = ""  # the Python argument; the snake_case of `name` when empty

    @property
    def argument(self) -> str:
        return self.arg or snake(self.name)


@dataclass(frozen=True)
class Body:
    """The request body: the Python argument it binds and its type (a model, a list or dict of them, or `str`
    for a plain-text body)."""

    arg: str
    type: Any
    required: bool = True


class Reply(enum.Enum):
    """How a result goes on the wire."""

    JSON = "200 with the result as JSON"
    TEXT = "200 with the result as text/plain"
    VOID = "200 with an empty body"
    NO_CONTENT = "204"
    JSON_OR_NO_CONTENT = "200 with the result as JSON, or 204 when there is none"


@dataclass(frozen=True)
class SearchOf:
    """The type of a SearchResult whose `results` are `item`s."""

    item: type


@dataclass(frozen=True)
class Endpoint:
    """One REST endpoint and the operation behind it."""

    op: str
    method: str
    path: str
    params: tuple[Param, ...] = ()
    body: Optional[Body] = None
    reply: Reply = Reply.JSON
    returns: Any = None  # the result's type, to decode it (None: the caller gets nothing back)

    @property
    def path_params(self) -> tuple[Param, ...]:
        declared = {p.name: p for p in self.params}
        return tuple(declared.get(name, Param(name)) for name in _PLACEHOLDER.findall(self.path))

    @property
    def query_params(self) -> tuple[Param, ...]:
        in_path = set(_PLACEHOLDER.findall(self.path))
        return tuple(p for p in self.params if p.name not in in_path)


_SEARCH = (Param("start", int, 0), Param("size", int, 100), Param("sort"), Param("freeText", str, "*"),
           Param("query"))
_WAIT = (Param("requestId"), Param("waitUntilTaskRef"), Param("waitForSeconds", float, 10))
_CORRELATED = (Param("includeClosed", bool, False), Param("includeTasks", bool, False))
_WORKER = Param("workerid", arg="worker_id")
_TASK_TYPE = Param("tasktype", arg="task_type")

ENDPOINTS: tuple[Endpoint, ...] = (
    # -- metadata ---------------------------------------------------------------------------------------------
    Endpoint("register_workflow_def", "POST", "/metadata/workflow", (Param("overwrite", bool, False),),
             Body("workflow_def", WorkflowDef), Reply.VOID),
    Endpoint("update_workflow_defs", "PUT", "/metadata/workflow", body=Body("workflow_defs", list[WorkflowDef])),
    Endpoint("get_workflow_def", "GET", "/metadata/workflow/{name}", (Param("version", int),),
             returns=WorkflowDef),
    Endpoint("get_all_workflow_defs", "GET", "/metadata/workflow", returns=list[WorkflowDef]),
    Endpoint("unregister_workflow_def", "DELETE", "/metadata/workflow/{name}/{version}", (Param("version", int),),
             reply=Reply.VOID),
    Endpoint("register_task_defs", "POST", "/metadata/taskdefs", body=Body("task_defs", list[TaskDef]),
             reply=Reply.VOID),
    Endpoint("update_task_def", "PUT", "/metadata/taskdefs", body=Body("task_def", TaskDef), reply=Reply.VOID),
    Endpoint("get_task_def", "GET", "/metadata/taskdefs/{tasktype}", (Param("tasktype", arg="name"),),
             returns=TaskDef),
    Endpoint("get_all_task_defs", "GET", "/metadata/taskdefs", returns=list[TaskDef]),
    Endpoint("unregister_task_def", "DELETE", "/metadata/taskdefs/{tasktype}", (Param("tasktype", arg="name"),),
             reply=Reply.VOID),
    # -- workflows --------------------------------------------------------------------------------------------
    Endpoint("start_workflow", "POST", "/workflow", body=Body("request", StartWorkflowRequest), reply=Reply.TEXT,
             returns=str),
    Endpoint("execute_workflow", "POST", "/workflow/execute/{name}/{version}", (Param("version", int), *_WAIT),
             Body("request", StartWorkflowRequest), returns=WorkflowRun),
    Endpoint("get_workflow", "GET", "/workflow/{workflowId}", (Param("includeTasks", bool, True),),
             returns=Workflow),
    Endpoint("get_workflow_status", "GET", "/workflow/{workflowId}/status",
             (Param("includeOutput", bool, False), Param("includeVariables", bool, False)),
             returns=WorkflowStatusResponse),
    Endpoint("terminate_workflow", "DELETE", "/workflow/{workflowId}",
             (Param("reason"), Param("triggerFailureWorkflow", bool, False)), reply=Reply.VOID),
    Endpoint("pause_workflow", "PUT", "/workflow/{workflowId}/pause", reply=Reply.VOID),
    Endpoint("resume_workflow", "PUT", "/workflow/{workflowId}/resume", reply=Reply.VOID),
    Endpoint("retry_workflow", "POST", "/workflow/{workflowId}/retry",
             (Param("resumeSubworkflowTasks", bool, False),), reply=Reply.NO_CONTENT),
    Endpoint("restart_workflow", "POST", "/workflow/{workflowId}/restart",
             (Param("useLatestDefinitions", bool, False),), reply=Reply.NO_CONTENT),
    Endpoint("rerun_workflow", "POST", "/workflow/{workflowId}/rerun", body=Body("request", RerunWorkflowRequest),
             reply=Reply.TEXT, returns=str),
    Endpoint("skip_task_from_workflow", "PUT", "/workflow/{workflowId}/skiptask/{taskReferenceName}",
             body=Body("request", SkipTaskRequest, required=False), reply=Reply.VOID),
    Endpoint("delete_workflow", "DELETE", "/workflow/{workflowId}/remove", (Param("archiveWorkflow", bool, True),),
             reply=Reply.VOID),
    Endpoint("update_workflow_variables", "POST", "/workflow/{workflowId}/variables", body=Body("variables", dict),
             returns=Workflow),
    Endpoint("update_workflow_state", "POST", "/workflow/{workflowId}/state", _WAIT,
             Body("update", WorkflowStateUpdate), returns=WorkflowRun),
    Endpoint("get_running_workflows", "GET", "/workflow/running/{name}",
             (Param("version", int, 1), Param("startTime", int), Param("endTime", int)), returns=list[str]),
    Endpoint("get_workflows_by_correlation_id", "GET", "/workflow/{name}/correlated/{correlationId}", _CORRELATED,
             returns=list[Workflow]),
    Endpoint("get_workflows_by_correlation_ids", "POST", "/workflow/{name}/correlated", _CORRELATED,
             Body("correlation_ids", list[str]), returns=dict[str, list[Workflow]]),
    Endpoint("search_workflows", "GET", "/workflow/search", _SEARCH, returns=SearchOf(WorkflowSummary)),
    Endpoint("search_tasks", "GET", "/tasks/search", _SEARCH, returns=SearchOf(TaskSummary)),
    Endpoint("test_workflow", "POST", "/workflow/test", body=Body("request", WorkflowTestRequest), returns=Workflow),
    # -- tasks ------------------------------------------------------------------------------------------------
    Endpoint("poll_task", "GET", "/tasks/poll/{tasktype}", (_TASK_TYPE, _WORKER, Param("domain")),
             reply=Reply.JSON_OR_NO_CONTENT, returns=Task),
    Endpoint("batch_poll_tasks", "GET", "/tasks/poll/batch/{tasktype}",
             (_TASK_TYPE, _WORKER, Param("domain"), Param("count", int, 1), Param("timeout", int, 100, "timeout_ms")),
             returns=list[Task]),
    Endpoint("update_task", "POST", "/tasks", body=Body("result", TaskResult), reply=Reply.TEXT, returns=str),
    Endpoint("update_task_v2", "POST", "/tasks/update-v2", body=Body("result", TaskResult),
             reply=Reply.JSON_OR_NO_CONTENT, returns=Task),
    Endpoint("update_task_by_ref_name", "POST", "/tasks/{workflowId}/{taskRefName}/{status}", (_WORKER,),
             Body("output", dict, required=False), Reply.TEXT, str),
    Endpoint("update_task_by_ref_name_sync", "POST", "/tasks/{workflowId}/{taskRefName}/{status}/sync", (_WORKER,),
             Body("output", dict, required=False), returns=Workflow),
    Endpoint("signal_workflow_task", "POST", "/tasks/{workflowId}/{status}/signal",
             body=Body("output", dict, required=False), reply=Reply.VOID),
    Endpoint("signal_workflow_task_sync", "POST", "/tasks/{workflowId}/{status}/signal/sync",
             (Param("returnStrategy", str, "TARGET_WORKFLOW"), Param("timeoutMillis", int, 5000)),
             Body("output", dict, required=False), returns=WorkflowRun),
    Endpoint("get_task", "GET", "/tasks/{taskId}", returns=Task),
    Endpoint("add_task_log", "POST", "/tasks/{taskId}/log", body=Body("message", str), reply=Reply.VOID),
    Endpoint("get_task_logs", "GET", "/tasks/{taskId}/log", reply=Reply.JSON_OR_NO_CONTENT,
             returns=list[TaskExecLog]),
    Endpoint("get_queue_sizes", "GET", "/tasks/queue/sizes", (Param("taskType", list, arg="task_types"),),
             returns=dict[str, int]),
    Endpoint("get_poll_data", "GET", "/tasks/queue/polldata", (Param("taskType"),), returns=list[PollData]),
)

BY_OP: dict[str, Endpoint] = {e.op: e for e in ENDPOINTS}
