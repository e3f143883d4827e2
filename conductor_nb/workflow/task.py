"""The task DSL's base class and SIMPLE tasks, with the official SDK's names and signatures."""

from __future__ import annotations

import copy
from typing import Any, Iterable, Optional

from ..models import TaskType, WorkflowTask


class TaskInterface:
    """A task in a workflow being built in code; `to_workflow_task()` gives its definition.

    `task.output('x')` (or just `task.x`) is the expression `${ref.output.x}` that later tasks take as input.
    """

    def __init__(self, task_reference_name: str, task_type: TaskType | str, task_name: Optional[str] = None,
                 description: Optional[str] = None, optional: Optional[bool] = None,
                 input_parameters: Optional[dict] = None, cache_key: Optional[str] = None,
                 cache_ttl_second: int = 0):
        self.task_reference_name = task_reference_name
        self.task_type = task_type
        self.name = task_name or task_reference_name
        self.description = description
        self.optional = optional
        self.input_parameters = dict(input_parameters or {})
        self._cache_key = cache_key
        self._cache_ttl_second = cache_ttl_second

    def __getattr__(self, name: str) -> str:
        # Only reached for attributes that do not exist: the SDK's shorthand for an output reference.
        if name.startswith("_"):
            raise AttributeError(name)
        return TaskInterface.output(self, name)  # not an override's: JavascriptTask.x is ${ref.output.x} upstream

    def input_parameter(self, key: str, value: Any) -> TaskInterface:
        self.input_parameters[key] = value
        return self

    def input(self, json_path: Optional[str] = None, key: Optional[str] = None, value: Any = None):
        """With `key` and `value`, set an input and return the task; otherwise the `${ref.input...}` expression."""
        if key is not None and value is not None:
            return self.input_parameter(key, value)
        return self._expression("input", json_path)

    def output(self, json_path: Optional[str] = None) -> str:
        return self._expression("output", json_path)

    def _expression(self, side: str, json_path: Optional[str]) -> str:
        ref = self.task_reference_name
        if not json_path:
            return "${" + f"{ref}.{side}" + "}"
        sep = "" if json_path.startswith("[") else "."
        return "${" + f"{ref}.{side}{sep}{json_path}" + "}"

    def cache(self, cache_key: str, cache_ttl_second: int) -> TaskInterface:
        self._cache_key = cache_key
        self._cache_ttl_second = cache_ttl_second
        return self

    def to_workflow_task(self) -> WorkflowTask:
        wt = WorkflowTask(
            name=self.name, task_reference_name=self.task_reference_name,
            type=getattr(self.task_type, "value", self.task_type), description=self.description,
            input_parameters=copy.deepcopy(self.input_parameters), optional=self.optional,
        )
        if self._cache_key:
            from ..models import CacheConfig

            wt.cache_config = CacheConfig(key=self._cache_key, ttl_in_second=self._cache_ttl_second)
        return wt


def to_workflow_tasks(tasks: Iterable[TaskInterface]) -> list[WorkflowTask]:
    """The definitions of `tasks`, in order; builders that give several (a fork and its join) give them all."""
    out: list[WorkflowTask] = []
    for task in tasks:
        wt = task.to_workflow_task()
        out.extend(wt if isinstance(wt, list) else [wt])
    return out


class SimpleTask(TaskInterface):
    """A task done by a worker polling for `task_def_name`."""

    def __init__(self, task_def_name: str, task_reference_name: str):
        super().__init__(task_reference_name=task_reference_name, task_type=TaskType.SIMPLE, task_name=task_def_name)


def simple_task(task_def_name: str, task_reference_name: str, inputs: dict) -> SimpleTask:
    task = SimpleTask(task_def_name, task_reference_name)
    task.input_parameters.update(inputs)
    return task
