"""Walking a workflow definition the way Conductor does: finding a task by reference and the task that follows it.

`next_task` ports WorkflowDef.getNextTask / WorkflowTask.next, so nested switches, forks and loops continue
exactly where Conductor continues them. Answers are memoised per definition: a definition never changes once an
execution holds it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Iterator, Optional

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


def walk(tasks: list[WorkflowTask]) -> Iterator[WorkflowTask]:
    """Every task of a task list, depth first, containers before their children."""
    for wt in tasks:
        yield wt
        for branch in children(wt):
            yield from walk(branch)


class DefinitionIndex:
    """Lookups over one workflow definition: task by reference, the next task, loop membership."""

    def __init__(self, definition: WorkflowDef):
        self.definition = definition
        self.by_ref: dict[str, WorkflowTask] = {}
        self.loop_of: dict[str, WorkflowTask] = {}  # task ref -> the innermost DO_WHILE containing it
        self.top: dict[str, int] = {}  # task ref -> index of the top-level task that is or contains it
        for i, wt in enumerate(definition.tasks or []):
            self._index([wt], None)
            for nested in walk([wt]):
                self.top.setdefault(nested.task_reference_name, i)
        self._next: dict[str, Optional[WorkflowTask]] = {}

    def _index(self, tasks: list[WorkflowTask], loop: Optional[WorkflowTask]) -> None:
        for wt in tasks:
            self.by_ref.setdefault(wt.task_reference_name, wt)
            if loop is not None:
                self.loop_of[wt.task_reference_name] = loop
            inner = wt if (wt.type == "DO_WHILE") else loop
            for branch in children(wt):
                self._index(branch, inner)

    @cached_property
    def first(self) -> Optional[WorkflowTask]:
        return (self.definition.tasks or [None])[0]

    def loop_refs(self, loop: WorkflowTask) -> list[str]:
        """The references of every task inside the DO_WHILE `loop`."""
        return [ref for ref, owner in self.loop_of.items() if owner is loop]

    def task(self, ref: str) -> Optional[WorkflowTask]:
        return self.by_ref.get(base_ref(ref))

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
        tasks = self.definition.tasks or []
        i = self.top.get(ref)
        if i is None:
            return None  # not in the definition (a dynamic fork's branch)
        following = tasks[i + 1] if i + 1 < len(tasks) else None
        task = tasks[i]
        if task.task_reference_name == ref:
            return following
        # Only the top-level task containing `ref` can answer (WorkflowDef.getNextTask asks each in turn).
        nxt = _next_within(task, ref, None)
        if nxt is not None:
            return nxt
        if task.type == "DO_WHILE":
            return None  # the last task of a loop at the top level: the loop decides what comes next
        return following


def has(wt: WorkflowTask, ref: str) -> bool:
    if wt.task_reference_name == ref:
        return True
    if (wt.type or "SIMPLE") in CONTAINERS:
        return any(has(child, ref) for branch in children(wt) for child in branch)
    return False


def _next_within(wt: WorkflowTask, ref: str, parent: Optional[WorkflowTask]) -> Optional[WorkflowTask]:
    """WorkflowTask.next: the task after `ref` inside `wt`, or None when `wt` does not decide it."""
    kind = wt.type or "SIMPLE"
    if kind in ("DO_WHILE", "DECISION", "SWITCH"):
        for branch in children(wt):
            following = _after_in_branch(branch, ref, wt)
            if following is not None:
                return following
        if kind == "DO_WHILE" and has(wt, ref):
            return wt
        return None
    if kind == "FORK_JOIN":
        for branch in children(wt):
            found = False
            for i, task in enumerate(branch):
                if task.task_reference_name == ref:
                    found = True
                    break
                nxt = _next_within(task, ref, wt)
                if nxt is not None:
                    return nxt
                if has(task, ref):
                    break
            else:
                i = len(branch)
            if i + 1 < len(branch):
                return branch[i + 1]
            if found and parent is not None:
                return _next_within(parent, wt.task_reference_name, parent)
        return None
    return None


def _after_in_branch(branch: list[WorkflowTask], ref: str, owner: WorkflowTask) -> Optional[WorkflowTask]:
    for i, task in enumerate(branch):
        if task.task_reference_name == ref:
            return branch[i + 1] if i + 1 < len(branch) else None
        nxt = _next_within(task, ref, owner)
        if nxt is not None:
            return nxt
        if has(task, ref):
            return branch[i + 1] if i + 1 < len(branch) else None
    return None
