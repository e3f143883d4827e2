"""DO_WHILE: run the loopOver tasks as iteration 1, 2, ... (refs `ref__N`) while loopCondition holds, or once
per element of `items`; the task's output keeps each iteration's outputs, trimmed to keepLastN if asked."""

from __future__ import annotations

import re
from typing import Optional

from ...models import Task, TaskStatus, WorkflowTask
from .. import scripting
from ..definitions import base_ref
from ..state import PENDING, SUCCESSFUL
from .base import TaskKind, complete


class DoWhile(TaskKind):
    type_name = "DO_WHILE"
    retriable = False

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        task = ctx.new_task(wt, self.type_name, retry_of, task_def_name=self.type_name)
        task.input_data = ctx.task_input(wt, task)
        return [ctx.add(task)]

    def start(self, ctx, task: Task) -> None:
        """The first iteration starts once the mapping around the loop is done (after a fork's JOIN, say)."""
        task.status = TaskStatus.IN_PROGRESS.value
        task.start_time = ctx.now
        items = self.items(ctx, task.workflow_task)
        if items is not None and not items:
            task.output_data = {"iteration": 0}
            complete(task)
            task.end_time = ctx.now
            return
        self._next_iteration(ctx, task, items)

    def evaluate(self, ctx, task: Task) -> bool:
        wt = task.workflow_task
        relevant = self._iteration_tasks(ctx, task)
        failed = next((t for t in relevant.values() if t.status not in SUCCESSFUL and t.status not in PENDING), None)
        task.output_data[str(task.iteration)] = {base_ref(t.reference_task_name): t.output_data
                                                 for t in relevant.values()}
        if failed is not None:
            complete(task, status=TaskStatus.FAILED.value, reason=f"{failed.reason_for_incompletion} ")
            task.end_time = ctx.now
            return True
        if not self._iteration_complete(task, relevant):
            return False
        items = self.items(ctx, wt)
        if items is not None:  # a list decides alone (the official SDK's ForEachTask also sends a condition)
            go_on = task.iteration < len(items)
        else:
            try:
                go_on = bool(wt.loop_condition) and self._condition(ctx, task)
            except scripting.ScriptError as e:
                complete(task, status=TaskStatus.FAILED_WITH_TERMINAL_ERROR.value,
                         reason=f"Unable to evaluate condition {wt.loop_condition}, exception {e}")
                task.end_time = ctx.now
                return True
        if go_on:
            self._next_iteration(ctx, task, items)
        else:
            complete(task)
            task.end_time = ctx.now
        return True

    @staticmethod
    def items(ctx, wt: WorkflowTask) -> Optional[list]:
        """The list to iterate over (`items`, or inputParameters.items), or None for a condition-driven loop."""
        expression = wt.items if wt.items is not None else (wt.input_parameters or {}).get("items")
        if expression is None:
            return None
        value = ctx.resolve(expression) if isinstance(expression, str) else expression
        return list(value) if isinstance(value, (list, tuple)) else []

    def _next_iteration(self, ctx, task: Task, items: Optional[list]) -> None:
        task.iteration = (task.iteration or 0) + 1
        task.output_data["iteration"] = task.iteration
        if items is not None:
            task.output_data["loopIndex"] = task.iteration - 1
            task.output_data["loopItem"] = items[task.iteration - 1]
        self._keep_last(ctx, task)
        ctx.touch(task)
        ctx.schedule(task.workflow_task.loop_over[0])

    @staticmethod
    def _keep_last(ctx, task: Task) -> None:
        keep = (task.input_data or {}).get("keepLastN")
        if not isinstance(keep, int) or keep < 1:
            return
        oldest_kept = task.iteration - keep + 1
        old = {t.task_id for t in ctx.state.workflow.tasks
               if t.iteration and t.iteration < oldest_kept and _in_loop(ctx, task, t)}
        if old:
            ctx.remove(old)
        for key in [k for k in task.output_data if k.isdigit() and int(k) < oldest_kept]:
            del task.output_data[key]

    @staticmethod
    def _iteration_tasks(ctx, task: Task) -> dict[str, Task]:
        """The latest attempt of every task of the loop's current iteration, by reference."""
        relevant: dict[str, Task] = {}
        for t in ctx.state.iteration_tasks(task.iteration):
            if _in_loop(ctx, task, t):
                current = relevant.get(t.reference_task_name)
                if current is None or (t.retry_count or 0) >= (current.retry_count or 0):  # later attempt wins
                    relevant[t.reference_task_name] = t
        return relevant

    @staticmethod
    def _iteration_complete(task: Task, relevant: dict[str, Task]) -> bool:
        for wt in task.workflow_task.loop_over or []:
            t = relevant.get(f"{wt.task_reference_name}__{task.iteration}")
            if t is None or t.status in PENDING:
                return False
        return all(t.status not in PENDING for t in relevant.values())

    @staticmethod
    def _condition(ctx, task: Task) -> bool:
        wt = task.workflow_task
        bindings = ctx.resolve(wt.input_parameters or {}, task.task_id)
        loop_output = task.output_data
        if _reads_only_the_iteration(wt.loop_condition or "", task.reference_task_name):
            loop_output = {"iteration": loop_output.get("iteration")}  # the rest grows with every iteration
        bindings[task.reference_task_name] = loop_output
        for ref in ctx.state.index.loop_refs(wt):
            latest = ctx.state.latest_base.get(ref)
            if latest is not None:
                bindings[ref] = latest.output_data
        return scripting.truthy(scripting.evaluate(wt.loop_condition, bindings))


_BINDING = re.compile(r"\$(?:\.([A-Za-z_$][\w$]*))?")


def _reads_only_the_iteration(condition: str, loop_ref: str) -> bool:
    """Whether the loop condition can read nothing of the loop task's output but its `iteration`: every `$` in it
    is `$.name`, and every `$.<loop_ref>` is followed by `.iteration` or `['iteration']` (the usual condition,
    `$.loop['iteration'] < $.limit`). Then the condition is given that alone, not every iteration's output."""
    for match in _BINDING.finditer(condition):
        name = match.group(1)
        if name is None:
            return False  # `$[...]`, `$` passed around, or a `$` in a string: anything may be read
        if name == loop_ref and not re.match(r"""\s*(?:\.\s*iteration\b|\[\s*(['"])iteration\1\s*\])""",
                                             condition[match.end():]):
            return False
    return True


def _in_loop(ctx, loop_task: Task, task: Task) -> bool:
    return task.task_id != loop_task.task_id and ctx.state.index.contains(loop_task.workflow_task,
                                                                          base_ref(task.reference_task_name))
