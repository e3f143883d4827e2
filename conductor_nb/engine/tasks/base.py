"""The interface every task type implements, and the default behaviour most of them share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ...models import Task, TaskResult, TaskStatus, WorkflowTask

if TYPE_CHECKING:
    from ..decider import Context


class TerminateWorkflow(Exception):
    """Raised while scheduling when the definition cannot go on (Conductor's TerminateWorkflowException):
    the workflow fails with this message as its reason."""


class TaskKind:
    """How one Conductor task type is scheduled, started, re-evaluated, run and canceled."""

    type_name = ""
    polled_by_workers = False  # queued for external workers (SIMPLE and user-defined types)
    runs_in_background = False  # run by the engine's system-task threads outside the engine lock (I/O, scripts)
    retriable = True  # operators (switches, forks, joins, loops) are never retried

    def schedule(self, ctx: Context, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        """Add this type's task(s) for `wt` with `ctx.add` (Conductor's mapper); by default one task."""
        task = ctx.new_task(wt, self.type_name, retry_of)
        task.input_data = ctx.task_input(wt, task)
        return [ctx.add(task)]

    def start(self, ctx: Context, task: Task) -> None:
        """Work done as soon as the task is scheduled, inside the transition (synchronous system tasks)."""

    def evaluate(self, ctx: Context, task: Task) -> bool:
        """Re-check a pending operator after other tasks moved; return True if it changed."""
        return False

    def run(self, task: Task) -> TaskResult:
        """Do the task's work outside the engine lock (runs_in_background kinds) and report the result."""
        raise NotImplementedError(f"{self.type_name} does not run in the background")

    def background_at(self, task: Task) -> Optional[int]:
        """When (epoch ms) the system-task threads should run this pending task; None: not at all."""
        return task.scheduled_time + ((task.callback_after_seconds or 0) + (task.start_delay_in_seconds or 0)) * 1000

    def cancel(self, ctx: Context, task: Task) -> None:
        task.status = TaskStatus.CANCELED.value


def complete(task: Task, output: Optional[dict] = None, status: str = TaskStatus.COMPLETED.value,
             reason: Optional[str] = None) -> None:
    """Finish a task in place (synchronous system tasks)."""
    task.status = status
    if output is not None:
        task.output_data = output
    if reason is not None:
        task.reason_for_incompletion = reason


def result_for(task: Task, status: str, output: Optional[dict] = None, reason: Optional[str] = None) -> TaskResult:
    """A TaskResult for a background system task."""
    return TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id, status=status,
                      output_data=output if output is not None else {}, reason_for_incompletion=reason,
                      worker_id="conductor_nb")
