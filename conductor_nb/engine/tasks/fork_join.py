"""FORK_JOIN (a completed FORK task plus the first task of every branch), JOIN and EXCLUSIVE_JOIN."""

from __future__ import annotations

from typing import Optional

from ...models import Task, TaskStatus, WorkflowTask
from ..definitions import iteration_ref
from ..state import PENDING, SUCCESSFUL
from .base import TaskKind, TerminateWorkflow, complete

PLAIN_SUCCESS = frozenset({TaskStatus.COMPLETED.value, TaskStatus.SKIPPED.value})


class ForkJoin(TaskKind):
    type_name = "FORK_JOIN"
    retriable = False

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        fork = ctx.new_task(wt, "FORK", retry_of, task_def_name="FORK")
        fork.input_data = ctx.task_input(wt, fork)
        fork.start_time = fork.end_time = ctx.now
        complete(fork)
        ctx.add(fork)
        for branch in wt.fork_tasks or []:
            if branch:
                ctx.schedule(branch[0])
        schedule_join(ctx, wt)
        return [fork]


def schedule_join(ctx, fork_wt: WorkflowTask) -> None:
    """Schedule the JOIN that must follow a fork in the definition."""
    join = ctx.state.index.next_task(fork_wt.task_reference_name)
    if join is None or join.type != "JOIN":
        raise TerminateWorkflow("Fork task definition is not followed by a join task.  Check the blueprint")
    ctx.schedule(join)


class Join(TaskKind):
    """Waits for the last task of every branch (joinOn); fails on the first non-optional failure."""

    type_name = "JOIN"
    retriable = False

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        task = ctx.new_task(wt, self.type_name, retry_of, task_def_name=self.type_name)
        task.input_data = {"joinOn": list(wt.join_on or [])}
        task.status = TaskStatus.IN_PROGRESS.value
        task.start_time = ctx.now
        return [ctx.add(task)]

    def evaluate(self, ctx, task: Task) -> bool:
        refs = self.join_on(task)
        if _still_waiting(ctx.state.latest, refs):
            return False
        joined = [ctx.state.task(ref) for ref in refs]
        all_done = True
        failure = None
        optional_failures = []
        output = {}
        for ref, forked in zip(refs, joined):
            if forked is None:
                all_done = False
                break
            wt = forked.workflow_task
            permissive = wt is not None and wt.permissive
            optional = wt is not None and wt.optional
            failed = forked.status not in SUCCESSFUL and forked.status not in PENDING
            if failed and not optional and (not permissive or all(t is not None and t.status not in PENDING
                                                                   for t in joined)):
                failure = forked
            if forked.output_data:
                output[ref] = forked.output_data
            if forked.status in PENDING:
                all_done = False
            if failure is not None:
                break
            if optional and forked.status == TaskStatus.COMPLETED_WITH_ERRORS.value:
                optional_failures.append(f"{forked.task_def_name}/{forked.task_id}")
        if not (all_done or failure or optional_failures):
            return False
        task.output_data = output
        task.end_time = ctx.now
        if failure is not None:
            complete(task, status=TaskStatus.FAILED.value, reason=f"{failure.reason_for_incompletion} ")
        elif optional_failures:
            complete(task, status=TaskStatus.COMPLETED_WITH_ERRORS.value,
                     reason=" ".join(optional_failures) + " completed with errors")
        else:
            complete(task)
        return True

    @staticmethod
    def join_on(task: Task) -> list[str]:
        refs = task.input_data.get("joinOn") or []
        if task.iteration:
            return [iteration_ref(ref, task.iteration) for ref in refs]
        return refs


def _still_waiting(latest: dict[str, Task], refs: list[str]) -> bool:
    """The cheap pass of JOIN's check (every forked task completes a branch, so it runs after each): True when the
    full pass would find the join still waiting, i.e. a task missing or pending and, among those before the first
    missing one, none failed or completed with errors (Conductor's loop stops at a missing task). `latest` is the
    workflow's latest task by reference name (WorkflowState.latest)."""
    waiting = False
    for ref in refs:
        forked = latest.get(ref)
        if forked is None:
            return True
        if forked.status in PENDING:
            waiting = True
        elif forked.status not in PLAIN_SUCCESS:
            return False  # a failure, or an optional task's errors: the full pass decides
    return waiting


class ExclusiveJoin(TaskKind):
    """Completes with the output of whichever joinOn task finished (or the defaultExclusiveJoinTask)."""

    type_name = "EXCLUSIVE_JOIN"
    retriable = False

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        task = ctx.new_task(wt, self.type_name, retry_of, task_def_name=self.type_name)
        task.input_data = ctx.task_input(wt, task)
        task.input_data.setdefault("joinOn", list(wt.join_on or []))
        task.status = TaskStatus.IN_PROGRESS.value
        task.start_time = ctx.now
        return [ctx.add(task)]

    def evaluate(self, ctx, task: Task) -> bool:
        wt = task.workflow_task
        found = None
        for ref in [*(wt.join_on or []), *(wt.default_exclusive_join_task or [])]:
            candidate = ctx.state.task(ref)
            if candidate is None:
                continue
            if candidate.status in PENDING:
                return False
            found = candidate
            break
        if found is None:
            return False
        task.end_time = ctx.now
        if found.status in SUCCESSFUL:
            complete(task, dict(found.output_data or {}))
        else:
            complete(task, status=TaskStatus.FAILED.value, reason=found.reason_for_incompletion)
        return True
