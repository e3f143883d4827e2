"""Checks on what callers send, with Conductor's defaults filled in; errors name the field and the problem."""

from __future__ import annotations

import copy

from ..errors import BadRequestError, ValidationError, bad_request
from ..models.base import camel
from ..models import StartWorkflowRequest, TaskDef, TaskResult, TaskResultStatus, WorkflowDef, WorkflowTask

TASK_DEF_DEFAULTS = {
    "retry_count": 3, "timeout_seconds": 0, "timeout_policy": "TIME_OUT_WF", "retry_logic": "FIXED",
    "retry_delay_seconds": 60, "response_timeout_seconds": 3600, "rate_limit_per_frequency": 0,
    "rate_limit_frequency_in_seconds": 1, "backoff_scale_factor": 1, "input_keys": [], "output_keys": [],
    "input_template": {},
}
WORKFLOW_DEF_DEFAULTS = {
    "version": 1, "schema_version": 2, "restartable": True, "timeout_policy": "ALERT_ONLY", "timeout_seconds": 0,
    "input_parameters": [], "output_parameters": {}, "variables": {}, "input_template": {},
    "workflow_status_listener_enabled": False,
}
RESULT_STATUSES = {s.value for s in TaskResultStatus}


def _require_model(value, cls, path: str):
    if isinstance(value, dict):
        return cls.from_dict(value)
    if not isinstance(value, cls):
        raise bad_request(path or cls.__name__, f"must be a {cls.__name__}, got {type(value).__name__}")
    return value


def _fill(obj, defaults: dict):
    for attr, value in defaults.items():
        if getattr(obj, attr) is None:
            setattr(obj, attr, copy.deepcopy(value))
    return obj


def workflow_def(definition, now: int, prefix: str = "") -> WorkflowDef:
    """A validated copy of a workflow definition with Conductor's defaults; BadRequestError lists every problem."""
    definition = copy.deepcopy(_require_model(definition, WorkflowDef, prefix.rstrip(".")))
    problems: list[ValidationError] = []
    if not definition.name:
        problems.append(ValidationError(f"{prefix}name", "workflow name must not be empty"))
    if definition.schema_version not in (None, 2):
        problems.append(ValidationError(f"{prefix}schemaVersion", "only schema version 2 is supported",
                                        definition.schema_version))
    if not definition.tasks:
        problems.append(ValidationError(f"{prefix}tasks", "a workflow needs at least one task"))
    refs: set[str] = set()
    problems += _task_list(definition.tasks or [], f"{prefix}tasks", refs)
    if problems:
        raise BadRequestError("; ".join(f"{p.path}: {p.message}" for p in problems), validation_errors=problems)
    _fill(definition, WORKFLOW_DEF_DEFAULTS)
    definition.create_time = definition.create_time or now
    definition.update_time = now
    return definition


def _task_list(tasks: list[WorkflowTask], path: str, refs: set[str]) -> list[ValidationError]:
    problems = []
    for i, wt in enumerate(tasks):
        problems += _workflow_task(wt, f"{path}[{i}]", refs)
    return problems


def _workflow_task(wt: WorkflowTask, path: str, refs: set[str]) -> list[ValidationError]:
    problems = []
    if not wt.name:
        problems.append(ValidationError(f"{path}.name", "task name must not be empty"))
    ref = wt.task_reference_name
    if not ref:
        problems.append(ValidationError(f"{path}.taskReferenceName", "task reference name must not be empty"))
    elif ref in refs:
        problems.append(ValidationError(f"{path}.taskReferenceName", f"duplicate task reference name '{ref}'", ref))
    else:
        refs.add(ref)
    for case, tasks in (wt.decision_cases or {}).items():
        problems += _task_list(tasks, f"{path}.decisionCases.{case}", refs)
    problems += _task_list(wt.default_case or [], f"{path}.defaultCase", refs)
    for b, branch in enumerate(wt.fork_tasks or []):
        problems += _task_list(branch, f"{path}.forkTasks[{b}]", refs)
    problems += _task_list(wt.loop_over or [], f"{path}.loopOver", refs)
    kind = wt.type or "SIMPLE"
    if kind in ("SWITCH", "DECISION") and not (wt.decision_cases or wt.default_case):
        problems.append(ValidationError(f"{path}.decisionCases", f"a {kind} needs decisionCases or a defaultCase"))
    if kind == "FORK_JOIN" and not wt.fork_tasks:
        problems.append(ValidationError(f"{path}.forkTasks", "a FORK_JOIN needs at least one branch"))
    if kind == "DO_WHILE" and not wt.loop_over:
        problems.append(ValidationError(f"{path}.loopOver", "a DO_WHILE needs at least one task to loop over"))
    if kind == "SUB_WORKFLOW" and wt.sub_workflow_param is None:
        problems.append(ValidationError(f"{path}.subWorkflowParam", "a SUB_WORKFLOW needs subWorkflowParam"))
    return problems


def task_def(definition, now: int, path: str = "") -> TaskDef:
    """A validated copy of a task definition with Conductor's defaults."""
    definition = copy.deepcopy(_require_model(definition, TaskDef, path))
    prefix = f"{path}." if path else ""
    if not definition.name:
        raise bad_request(f"{prefix}name", "task definition name must not be empty")
    _fill(definition, TASK_DEF_DEFAULTS)
    if definition.timeout_seconds > 0 and definition.response_timeout_seconds > definition.timeout_seconds:
        raise bad_request(
            f"{prefix}responseTimeoutSeconds",
            f"must be less than or equal to timeoutSeconds ({definition.timeout_seconds})",
            definition.response_timeout_seconds,
        )
    for attr in ("retry_count", "timeout_seconds", "retry_delay_seconds", "response_timeout_seconds"):
        if getattr(definition, attr) < 0:
            raise bad_request(f"{prefix}{camel(attr)}", "must not be negative", getattr(definition, attr))
    definition.create_time = definition.create_time or now
    definition.update_time = now
    return definition


def start_request(request) -> StartWorkflowRequest:
    request = _require_model(request, StartWorkflowRequest, "")
    if request.workflow_def is None and not request.name:
        raise bad_request("name", "workflow name must not be empty")
    if request.priority is not None and not 0 <= request.priority <= 99:
        raise bad_request("priority", "must be between 0 and 99", request.priority)
    if request.input is not None and not isinstance(request.input, dict):
        raise bad_request("input", "must be a JSON object", request.input)
    return request


def task_result(result) -> TaskResult:
    result = _require_model(result, TaskResult, "")
    if not result.task_id:
        raise bad_request("taskId", "must not be empty")
    status = getattr(result.status, "value", result.status)
    if status not in RESULT_STATUSES:
        raise bad_request("status", f"must be one of {sorted(RESULT_STATUSES)}", status)
    result.status = status
    if result.output_data is not None and not isinstance(result.output_data, dict):
        raise bad_request("outputData", "must be a JSON object", result.output_data)
    return result
