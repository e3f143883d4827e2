"""A workflow execution in memory: the Workflow model plus the indexes that keep each transition's cost flat."""

from __future__ import annotations

from typing import Optional

from ..models import Task, TaskStatus, Workflow, WorkflowStatus
from .definitions import DefinitionIndex, base_ref

PENDING = frozenset({TaskStatus.SCHEDULED.value, TaskStatus.IN_PROGRESS.value})
SUCCESSFUL = frozenset({TaskStatus.COMPLETED.value, TaskStatus.COMPLETED_WITH_ERRORS.value, TaskStatus.SKIPPED.value})
ENDED = frozenset(s.value for s in WorkflowStatus if s.is_terminal)  # a workflow's terminal statuses, as text
OPERATORS = frozenset({"JOIN", "EXCLUSIVE_JOIN", "DO_WHILE"})  # re-evaluated while pending, as other tasks move


class WorkflowState:
    """The Workflow with its tasks indexed by id, by latest reference (with and without the loop iteration),
    and the pending ones; `rev` counts committed transitions."""

    def __init__(self, workflow: Workflow, index: DefinitionIndex, def_key: str, rev: int = 0):
        self.workflow = workflow
        self.index = index
        self.def_key = def_key
        self.rev = rev
        self.epoch = 0  # the engine's view of the database this state was last checked against (Engine._vouch)
        self.row: Optional[dict] = None  # the workflow's JSON as last written by this process (Engine._flush)
        self.by_id: dict[str, Task] = {}
        self.latest: dict[str, Task] = {}
        self.latest_base: dict[str, Task] = {}
        self.pending: dict[str, Task] = {}
        self.operators: dict[str, Task] = {}
        self.by_iteration: dict[int, list[Task]] = {}
        for task in workflow.tasks:
            self._index(task)

    @property
    def definition(self):
        return self.index.definition

    def _index(self, task: Task) -> None:
        self.by_id[task.task_id] = task
        self.latest[task.reference_task_name] = task
        self.latest_base[base_ref(task.reference_task_name)] = task
        if task.iteration:
            self.by_iteration.setdefault(task.iteration, []).append(task)
        self.refresh(task)

    def add(self, task: Task) -> None:
        """Append `task`; one with seq 0 (a skipped task) goes after the other seq-0 tasks at the front, where
        ordering by seq puts it, as Conductor lists it."""
        tasks = self.workflow.tasks
        if task.seq == 0:
            tasks.insert(next((i for i, t in enumerate(tasks) if t.seq != 0), len(tasks)), task)
        else:
            tasks.append(task)
        self._index(task)

    def refresh(self, task: Task) -> None:
        """Keep the pending index true after `task`'s status changed."""
        if task.status in PENDING:
            self.pending[task.task_id] = task
            if task.task_type in OPERATORS:
                self.operators[task.task_id] = task
        else:
            self.pending.pop(task.task_id, None)
            self.operators.pop(task.task_id, None)

    def task(self, ref: str) -> Optional[Task]:
        """The latest task with this reference name (Conductor's getTaskByRefName)."""
        return self.latest.get(ref)

    def remove(self, task_ids: set[str]) -> None:
        """Forget tasks (rerun, keepLastN); the caller deletes them from the store."""
        self.workflow.tasks = [t for t in self.workflow.tasks if t.task_id not in task_ids]
        for task_id in task_ids:
            self.by_id.pop(task_id, None)
            self.pending.pop(task_id, None)
            self.operators.pop(task_id, None)
        self.latest, self.latest_base = {}, {}
        for task in self.workflow.tasks:
            self.latest[task.reference_task_name] = task
            self.latest_base[base_ref(task.reference_task_name)] = task
        for iteration, tasks in list(self.by_iteration.items()):
            kept = [t for t in tasks if t.task_id not in task_ids]
            if kept:
                self.by_iteration[iteration] = kept
            else:
                del self.by_iteration[iteration]

    def iteration_tasks(self, iteration: int) -> list[Task]:
        """Every task of loop iteration `iteration` (tasks outside loops have iteration 0)."""
        return self.by_iteration.get(iteration, [])

    @property
    def next_seq(self) -> int:
        return (self.workflow.tasks[-1].seq + 1) if self.workflow.tasks else 1
