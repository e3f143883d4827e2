"""Checks on what callers send, with Conductor's defaults filled in; errors name the field and the problem.

A definition is refused at registration for anything that would otherwise fail later, at run time: a field of the
wrong type, an unknown task type, a duplicate task reference, a fork without its join, a `${ref.output...}`
naming a task the definition does not have. Every refusal is a BadRequestError whose `validation_errors` give the
JSON path of each problem (`tasks[1].forkTasks[0][0].inputParameters.x`).
"""

from __future__ import annotations

import enum
import functools
import re
import types
import typing
from typing import Any, Callable, Optional

from ..errors import BadRequestError, ValidationError, bad_request
from ..models import StartWorkflowRequest, TaskDef, TaskResult, TaskResultStatus, WorkflowDef, WorkflowTask
from ..models.base import Model, camel
from .definitions import DefinitionIndex, base_ref
from .tasks import REGISTRY

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
FORKS = ("FORK_JOIN", "FORK_JOIN_DYNAMIC")
JAVA_LONG = (-(2**63), 2**63 - 1)  # what Conductor's int and long fields (and SQLite's INTEGER) can hold

# `${name.` or `${name[`: a template reading a task's data (Conductor's ParametersUtils); `$${` is an escape.
_TASK_TEMPLATE = re.compile(r"(?<!\$)\$\{([A-Za-z0-9_\-]+)(?=[.\[])")


# ------------------------------------------------------------------------------------------------ field types
class _Mismatch(Exception):
    """A value does not have its field's declared type."""


@functools.lru_cache(maxsize=None)
def _fields(cls: type) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, JSON name, declared type) of a model's fields."""
    hints = typing.get_type_hints(cls)
    return tuple((attr, name, hints.get(attr, Any)) for attr, name in cls._fields_json)


def _unwrap(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return inner[0] if len(inner) == 1 else Any
    return tp


def _int(value: Any) -> int:
    """Jackson's coercion to a long: integral numbers and numeric text; never a boolean."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Mismatch("must be an integer")
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None:
        raise _Mismatch("must be an integer")
    if not JAVA_LONG[0] <= number <= JAVA_LONG[1]:
        raise _Mismatch(f"must be between {JAVA_LONG[0]} and {JAVA_LONG[1]}")
    return number


def _str(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return value if isinstance(value, str) else str(value)
    raise _Mismatch("must be a string")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _Mismatch("must be a boolean")


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Mismatch("must be a number")
    return float(value)


_SCALARS: dict[Any, Callable[[Any], Any]] = {int: _int, str: _str, bool: _bool, float: _float}


def _typed(obj: Model, path: str, problems: list[ValidationError]) -> None:
    """Check (and coerce in place, as Jackson would) every field of `obj` against its declared type."""
    for attr, name, tp in _fields(type(obj)):
        value = getattr(obj, attr)
        if value is not None:
            setattr(obj, attr, _value(value, _unwrap(tp), _join(path, name), problems))


def _value(value: Any, tp: Any, path: str, problems: list[ValidationError]) -> Any:
    if value is None or tp is Any:
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    try:
        if isinstance(tp, type) and issubclass(tp, Model):
            if isinstance(value, dict):
                value = tp.from_dict(value)
            if not isinstance(value, tp):
                raise _Mismatch("must be an object")
            _typed(value, path, problems)
            return value
        if tp is list or origin is list:
            if not isinstance(value, (list, tuple)):
                raise _Mismatch("must be an array")
            item = _unwrap(args[0]) if args else Any
            return [_value(v, item, f"{path}[{i}]", problems) for i, v in enumerate(value)]
        if tp is dict or origin is dict:
            if not isinstance(value, dict):
                raise _Mismatch("must be an object")
            item = _unwrap(args[1]) if args else Any
            if item is Any:
                return value
            return {k: _value(v, item, _join(path, str(k)), problems) for k, v in value.items()}
        coerce = _SCALARS.get(tp)
        return coerce(value) if coerce is not None else value
    except _Mismatch as e:
        problems.append(ValidationError(path, str(e), _shown(value)))
        return value


def _shown(value: Any) -> Any:
    """An invalid value as an error may carry it: JSON scalars as they are, anything else by its type."""
    if isinstance(value, (str, int, float, bool)):
        return value if not isinstance(value, str) or len(value) <= 200 else value[:200] + "..."
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _require_model(value, cls, path: str):
    if isinstance(value, dict):
        return cls.from_dict(value)
    if not isinstance(value, cls):
        raise bad_request(path or cls.__name__, f"must be a {cls.__name__}, got {type(value).__name__}")
    return value


def _refuse(problems: list[ValidationError]) -> None:
    if problems:
        raise BadRequestError("; ".join(f"{p.path}: {p.message}" for p in problems), validation_errors=problems)


def _fill(obj, defaults: dict):
    for attr, value in defaults.items():
        if getattr(obj, attr) is None:
            setattr(obj, attr, _fresh(value))
    return obj


def _fresh(value):
    return type(value)(value) if isinstance(value, (dict, list)) else value


# ------------------------------------------------------------------------------------------- workflow definitions
def workflow_def(definition, now: int, prefix: str = "",
                 task_def_exists: Optional[Callable[[str], bool]] = None,
                 registration: Optional[bool] = None) -> WorkflowDef:
    """A validated copy of a workflow definition with Conductor's defaults; BadRequestError lists every problem.

    `task_def_exists(name)` says whether a TaskDef of that name is registered: a task of a type the engine does
    not run is accepted (as a worker task of that type) only when it has one, registered or embedded. Without
    it, such tasks are accepted as they are.

    `registration` (default: no `prefix`, i.e. the definition is being registered) adds the checks Conductor makes
    when a definition is registered: every fork is followed by its JOIN, and every `${ref...}` of a top-level
    task names a task of the definition. An inline definition (`workflowDef.` of a start request, or a
    sub-workflow's) gets the type and structure checks only: Conductor starts those without validating them,
    and its own tests rely on it."""
    root = prefix.rstrip(".")
    definition = _require_model(definition, WorkflowDef, root)
    definition = WorkflowDef.from_dict(definition.to_dict())  # a deep copy; dicts nested by hand become models
    problems: list[ValidationError] = []
    _typed(definition, root, problems)
    _refuse(problems)  # the checks below rely on the types
    if not definition.name:
        problems.append(ValidationError(f"{prefix}name", "workflow name must not be empty"))
    if definition.schema_version not in (None, 2):
        problems.append(ValidationError(f"{prefix}schemaVersion", "only schema version 2 is supported",
                                        definition.schema_version))
    if not definition.tasks:
        problems.append(ValidationError(f"{prefix}tasks", "a workflow needs at least one task"))
    refs: set[str] = set()
    checks = _Checks(task_def_exists)
    problems += checks.task_list(definition.tasks or [], f"{prefix}tasks", refs)
    _refuse(problems)  # the checks below walk the tasks
    for i, wt in enumerate(definition.tasks or []):
        checks.collect_templates(wt.input_parameters or {}, f"{prefix}tasks[{i}].inputParameters")
    if registration is None:
        registration = not prefix
    if registration:
        problems += _forks_have_joins(definition, checks.forks)
        if not checks.dynamic_forks:  # a dynamic fork's branches have references the definition cannot know
            problems += _references(checks.templates, refs)
    _refuse(problems)
    _fill(definition, WORKFLOW_DEF_DEFAULTS)
    definition.create_time = definition.create_time or now
    definition.update_time = now
    return definition


class _Checks:
    """One walk over a definition's task tree: the per-task problems, and what the whole-definition checks need."""

    def __init__(self, task_def_exists: Optional[Callable[[str], bool]]):
        self._task_def_exists = task_def_exists
        self.forks: list[tuple[WorkflowTask, str]] = []
        self.dynamic_forks = False
        self.templates: list[tuple[str, str]] = []  # (path, referenced task) of each `${ref.` found

    def task_list(self, tasks: list[WorkflowTask], path: str, refs: set[str]) -> list[ValidationError]:
        problems = []
        for i, wt in enumerate(tasks):
            if wt is None:
                problems.append(ValidationError(f"{path}[{i}]", "must not be null"))
            else:
                problems += self.task(wt, f"{path}[{i}]", refs)
        return problems

    def task(self, wt: WorkflowTask, path: str, refs: set[str]) -> list[ValidationError]:
        problems = []
        if not wt.name:
            problems.append(ValidationError(f"{path}.name", "task name must not be empty"))
        ref = wt.task_reference_name
        if not ref:
            problems.append(ValidationError(f"{path}.taskReferenceName", "task reference name must not be empty"))
        elif ref in refs:
            problems.append(ValidationError(f"{path}.taskReferenceName", f"duplicate task reference name '{ref}'",
                                            ref))
        else:
            refs.add(ref)
        for case, tasks in (wt.decision_cases or {}).items():
            problems += self.task_list(tasks, f"{path}.decisionCases.{case}", refs)
        problems += self.task_list(wt.default_case or [], f"{path}.defaultCase", refs)
        for b, branch in enumerate(wt.fork_tasks or []):
            problems += self.task_list(branch, f"{path}.forkTasks[{b}]", refs)
        problems += self.task_list(wt.loop_over or [], f"{path}.loopOver", refs)
        kind = wt.type or "SIMPLE"
        if kind not in REGISTRY:
            problems += self._unknown_type(wt, path)
        if kind in ("SWITCH", "DECISION") and not (wt.decision_cases or wt.default_case):
            problems.append(ValidationError(f"{path}.decisionCases", f"a {kind} needs decisionCases or a defaultCase"))
        if kind == "FORK_JOIN" and not wt.fork_tasks:
            problems.append(ValidationError(f"{path}.forkTasks", "a FORK_JOIN needs at least one branch"))
        if kind == "DO_WHILE" and not wt.loop_over:
            problems.append(ValidationError(f"{path}.loopOver", "a DO_WHILE needs at least one task to loop over"))
        if kind == "SUB_WORKFLOW" and wt.sub_workflow_param is None:
            problems.append(ValidationError(f"{path}.subWorkflowParam", "a SUB_WORKFLOW needs subWorkflowParam"))
        if kind in FORKS and ref:
            self.forks.append((wt, path))
        self.dynamic_forks |= kind == "FORK_JOIN_DYNAMIC"
        return problems

    def _unknown_type(self, wt: WorkflowTask, path: str) -> list[ValidationError]:
        if wt.task_definition is not None or self._task_def_exists is None:
            return []
        if wt.name and self._task_def_exists(wt.name):
            return []  # a worker task of a type of its own, as Conductor runs a registered task of any type
        runs = ", ".join(sorted(REGISTRY))
        return [ValidationError(
            f"{path}.type",
            f"unknown task type '{wt.type}': the engine runs {runs}; to have workers poll tasks of type "
            f"'{wt.type}', register a task definition named '{wt.name}' first", wt.type)]

    def collect_templates(self, value: Any, path: str) -> None:
        if isinstance(value, str):
            if "${" in value:
                self.templates += [(path, found) for found in _TASK_TEMPLATE.findall(value)]
        elif isinstance(value, dict):
            for key, item in value.items():
                self.collect_templates(item, _join(path, str(key)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.collect_templates(item, f"{path}[{i}]")


def _forks_have_joins(definition: WorkflowDef, forks: list[tuple[WorkflowTask, str]]) -> list[ValidationError]:
    """A fork's JOIN is the task Conductor runs after it (WorkflowDef.getNextTask): without one the workflow would
    fail when it reached the fork."""
    if not forks:
        return []
    index = DefinitionIndex(definition)
    problems = []
    for wt, path in forks:
        following = index.next_task(wt.task_reference_name)
        if following is None or following.type != "JOIN":
            after = "nothing" if following is None else \
                f"'{following.task_reference_name}' ({following.type or 'SIMPLE'})"
            problems.append(ValidationError(
                f"{path}.type", f"a {wt.type} must be followed by a JOIN; it is followed by "
                f"{after}", wt.task_reference_name))
    return problems


def _references(templates: list[tuple[str, str]], refs: set[str]) -> list[ValidationError]:
    """`${ref.output...}` in a top-level task's inputParameters must name a task of the definition (or
    `workflow`), as Conductor's ConstraintParamUtil checks (it looks no deeper: Conductor's own e2e definitions
    rely on that); a DO_WHILE iteration's `ref__2` counts as its task."""
    return [ValidationError(path, f"'${{{name}...}}' refers to a task reference name that is not in the "
                                  f"workflow definition", name)
            for path, name in templates if name != "workflow" and name not in refs and base_ref(name) not in refs]


# ----------------------------------------------------------------------------------------------- task definitions
def task_def(definition, now: int, path: str = "") -> TaskDef:
    """A validated copy of a task definition with Conductor's defaults."""
    definition = _require_model(definition, TaskDef, path)
    definition = TaskDef.from_dict(definition.to_dict())
    prefix = f"{path}." if path else ""
    problems: list[ValidationError] = []
    _typed(definition, path, problems)
    _refuse(problems)
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


# ---------------------------------------------------------------------------------------------------- requests
_START_SCALARS = {"name": _str, "version": _int, "correlation_id": _str, "priority": _int, "idempotency_key": _str,
                  "created_by": _str}


def start_request(request) -> StartWorkflowRequest:
    request = _require_model(request, StartWorkflowRequest, "")
    problems: list[ValidationError] = []
    for attr, coerce in _START_SCALARS.items():  # (the inline workflowDef is checked when it is used)
        value = getattr(request, attr, None)
        if value is not None:
            try:
                setattr(request, attr, coerce(value))
            except _Mismatch as e:
                problems.append(ValidationError(camel(attr), str(e), _shown(value)))
    for attr in ("input", "task_to_domain"):
        value = getattr(request, attr, None)
        if value is not None and not isinstance(value, dict):
            problems.append(ValidationError(camel(attr), "must be a JSON object", _shown(value)))
    _refuse(problems)
    if request.workflow_def is None and not request.name:
        raise bad_request("name", "workflow name must not be empty")
    if request.priority is not None and not 0 <= request.priority <= 99:
        raise bad_request("priority", "must be between 0 and 99", request.priority)
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
    if result.callback_after_seconds is not None:
        try:
            result.callback_after_seconds = _int(result.callback_after_seconds)
        except _Mismatch as e:
            raise bad_request("callbackAfterSeconds", str(e), _shown(result.callback_after_seconds)) from None
    return result
