"""SIMPLE (and user-defined types): tasks done by workers polling their queue; DYNAMIC picks the name at run time."""

from __future__ import annotations

from typing import Optional

from ...models import Task, WorkflowTask
from ..expressions import java_string
from .base import TaskKind, TerminateWorkflow


class Simple(TaskKind):
    type_name = "SIMPLE"
    polled_by_workers = True

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        return [ctx.add(worker_task(ctx, wt, wt.name, retry_of))]


class UserDefined(Simple):
    """A type Conductor does not know, e.g. `MY_TYPE`: a worker task queued under its type name."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        return [ctx.add(worker_task(ctx, wt, wt.type, retry_of))]


class Dynamic(Simple):
    """DYNAMIC: a worker task whose name is read from the input named by `dynamicTaskNameParam`."""

    type_name = "DYNAMIC"

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        if retry_of is not None:
            name = retry_of.task_def_name
        else:
            param = wt.dynamic_task_name_param or "taskToExecute"
            inputs = ctx.resolve(wt.input_parameters or {})
            name = inputs.get(param)
            if name is None or name == "":  # the workflow fails, as Conductor's DynamicTaskMapper fails it
                raise TerminateWorkflow("Cannot map a dynamic task based on the parameter and input. "
                                        f"Parameter= {param}, input= {java_string(inputs)}")
            name = java_string(name)
        resolved = WorkflowTask.from_dict({**wt.to_dict(), "name": name})
        resolved.type = "DYNAMIC"
        return [ctx.add(worker_task(ctx, resolved, name, retry_of))]


def worker_task(ctx, wt: WorkflowTask, task_type: str, retry_of: Optional[Task]) -> Task:
    """A task for workers polling `task_type`, with its definition's limits copied in."""
    task_def = ctx.task_def(wt)
    task = ctx.new_task(wt, task_type, retry_of, task_def_name=wt.name)
    task.input_data = ctx.task_input(wt, task, task_def)
    task.response_timeout_seconds = task_def.response_timeout_seconds
    task.rate_limit_per_frequency = task_def.rate_limit_per_frequency or 0
    task.rate_limit_frequency_in_seconds = task_def.rate_limit_frequency_in_seconds or 1
    task.isolation_group_id = task_def.isolation_group_id
    task.execution_name_space = task_def.execution_name_space
    return task
