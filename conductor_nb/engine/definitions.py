"""Walking a workflow definition the way Conductor does: finding a task by reference and the task that follows it.

`next_task` ports WorkflowDef.getNextTask / WorkflowTask.next, so nested switches, forks and loops continue
exactly where Conductor continues them. Answers are memoised per definition: a definition never changes once an
execution holds it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Optional

from ..models import WorkflowDef, WorkflowTask

LOOP_DELIMITER = "__"
CONTAINERS = {"SWITCH", "DECISION", "FORK_JOIN", "DO_WHILE"}


def base_ref(ref: str) -> str:
    """`loop_task__3` -> `loop_task`: the reference in the definition of a task inside a DO_WHILE iteration."""
    return ref.split(LOOP_DELIMITER)[0] if LOOP_DELIMITER in ref else ref


def iteration_ref(ref: str, iteration: int) -> str:
    return f"{ref}{LOOP_DELIMITER}{iteration}"


def children(wt: WorkflowTask) -> list[list[WorkflowTask]]:
    """The task lists nested in a container task, in Conductor's order."""
    kind = wt.type or "SIMPLE"
    if kind in ("SWITCH", "DECISION"):
        return [*(wt.decision_cases or {}).values(), wt.default_case or []]
    if kind == "FORK_JOIN":
        return list(wt.fork_tasks or [])
    if kind == "DO_WHILE":
        return [wt.loop_over or []]
    return []


class DefinitionIndex:
    """Lookups over one workflow definition: task by reference, the next task, loop membership."""

    def __init__(self, definition: WorkflowDef):
        self.definition = definition
        self.by_ref: dict[str, WorkflowTask] = {}
        self.loop_of: dict[str, WorkflowTask] = {}  # task ref -> the innermost DO_WHILE containing it
        # Where each task sits, so that finding what follows a task costs the depth of its nesting, not the size of
        # the definition (a fork of 2,000 branches would otherwise search every branch for every branch):
        self._path: dict[str, list[WorkflowTask]] = {}  # ref -> the containers around it, outermost first, and it
        self._slot: dict[int, tuple[list[WorkflowTask], int]] = {}  # id(task) -> (the task list holding it, index)
        self._index(definition.tasks or [], None, [])
        self._next: dict[str, Optional[WorkflowTask]] = {}

    def _index(self, tasks: list[WorkflowTask], loop: Optional[WorkflowTask], outer: list[WorkflowTask]) -> None:
        for i, wt in enumerate(tasks):
            ref = wt.task_reference_name
            self.by_ref.setdefault(ref, wt)
            self._path.setdefault(ref, outer + [wt])
            self._slot[id(wt)] = (tasks, i)
            if loop is not None:
                self.loop_of[ref] = loop
            inner = wt if (wt.type == "DO_WHILE") else loop
            for branch in children(wt):
                self._index(branch, inner, outer + [wt])

    @cached_property
    def first(self) -> Optional[WorkflowTask]:
        return (self.definition.tasks or [None])[0]

    def loop_refs(self, loop: WorkflowTask) -> list[str]:
        """The references of every task inside the DO_WHILE `loop`."""
        return [ref for ref, owner in self.loop_of.items() if owner is loop]

    def task(self, ref: str) -> Optional[WorkflowTask]:
        return self.by_ref.get(base_ref(ref))

    def contains(self, wt: WorkflowTask, ref: str) -> bool:
        """Whether `ref` is `wt` or nested in it."""
        return any(outer is wt for outer in self._path.get(ref, ()))

    def next_task(self, ref: str) -> Optional[WorkflowTask]:
        """The task Conductor schedules after `ref` finishes (a DO_WHILE itself after its last loop task)."""
        ref = base_ref(ref)
        if ref not in self._next:
            self._next[ref] = self._compute_next(ref)
        return self._next[ref]

    def _compute_next(self, ref: str) -> Optional[WorkflowTask]:
        wt = self.by_ref.get(ref)
        if wt is not None and wt.type == "TERMINATE":
            return None
        path = self._path.get(ref)
        if path is None:
            return None  # not in the definition (a dynamic fork's branch)
        tasks = self.definition.tasks or []
        task = path[0]  # the top-level task that is or contains `ref`
        i = self._slot[id(task)][1]
        following = tasks[i + 1] if i + 1 < len(tasks) else None
        if task.task_reference_name == ref:
            return following
        # Only the top-level task containing `ref` can answer (WorkflowDef.getNextTask asks each in turn).
        nxt = self._next_within(task, ref, None)
        if nxt is not None:
            return nxt
        if task.type == "DO_WHILE":
            return None  # the last task of a loop at the top level: the loop decides what comes next
        return following

    def _child_towards(self, wt: WorkflowTask, ref: str) -> Optional[WorkflowTask]:
        """The task directly inside container `wt` that is or contains `ref`, or None if `ref` is not inside."""
        path = self._path.get(ref, ())
        for depth, outer in enumerate(path[:-1]):
            if outer is wt:
                return path[depth + 1]
        return None

    def _next_within(self, wt: WorkflowTask, ref: str, parent: Optional[WorkflowTask]) -> Optional[WorkflowTask]:
        """WorkflowTask.next: the task after `ref` inside `wt`, or None when `wt` does not decide it."""
        kind = wt.type or "SIMPLE"
        if kind not in CONTAINERS:
            return None
        child = self._child_towards(wt, ref)
        if child is None:
            return None
        branch, i = self._slot[id(child)]
        after = branch[i + 1] if i + 1 < len(branch) else None
        if child.task_reference_name != ref:
            nxt = self._next_within(child, ref, wt)
            if nxt is not None:
                return nxt
            if kind == "FORK_JOIN" or after is not None:
                return after
        elif after is not None:
            return after
        elif kind == "FORK_JOIN" and parent is not None:
            return self._next_within(parent, wt.task_reference_name, parent)
        return wt if kind == "DO_WHILE" else None
