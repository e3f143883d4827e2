"""When tasks and workflows time out (Conductor's DeciderService checks), as pure functions of the time.

`task_deadline` says when to look at a task again (the engine sets a timer); `passed_limits` says, at a given
time, which of its limits have passed, in the order Conductor checks them, each with its policy and reason.

A task's limits, as in Conductor (each only if its TaskDef sets it):
- timeoutSeconds: any unfinished task that has started, counted from its start (plus its startDelay), even one a
  worker sent back to SCHEDULED with IN_PROGRESS; the TaskDef's timeoutPolicy applies.
- pollTimeoutSeconds: a SCHEDULED task, counted from its scheduling (plus startDelay and callbackAfterSeconds);
  the timeoutPolicy applies.
- responseTimeoutSeconds: an IN_PROGRESS worker task, counted from its last update (plus callbackAfterSeconds);
  the task always times out and is retried. Not for system tasks: Conductor's system-task worker refreshes
  their update time at every callback, so it never passes for them.
An ALERT_ONLY limit only logs: it never ends the task, and once passed it no longer hides the limits after it.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..models import Task, TaskDef, TaskStatus, Workflow, WorkflowDef

ALERT_ONLY = "ALERT_ONLY"
_Limit = tuple[int, str, Callable[[int], str]]  # (due, policy, reason at a time)


def task_deadline(task: Task, task_def: TaskDef, now: int, worker_task: bool = True) -> Optional[int]:
    """The earliest epoch ms at which one of the task's limits passes and acts, or None if none is left: an
    ALERT_ONLY limit that has already passed (and been logged) counts no more."""
    dues = [due for due, policy, _ in _limits(task, task_def, worker_task) if policy != ALERT_ONLY or due > now]
    return min(dues, default=None)


def passed_limits(task: Task, task_def: TaskDef, now: int, worker_task: bool = True) -> list[tuple[str, str]]:
    """(timeout policy, reason) for each of the task's limits that has passed at `now`, in Conductor's order."""
    return [(policy, reason(now)) for due, policy, reason in _limits(task, task_def, worker_task) if now >= due]


def _limits(task: Task, td: TaskDef, worker_task: bool) -> list[_Limit]:
    """(due, policy, reason) for each limit that applies to the task in its current status."""
    delay = (task.start_delay_in_seconds or 0) * 1000
    callback = (task.callback_after_seconds or 0) * 1000
    policy = td.timeout_policy or "TIME_OUT_WF"
    limits: list[_Limit] = []
    if task.status not in (TaskStatus.SCHEDULED.value, TaskStatus.IN_PROGRESS.value):
        return limits
    if td.timeout_seconds and task.start_time:
        started = task.start_time + delay
        limits.append((started + td.timeout_seconds * 1000, policy,
                       lambda now: f"Task timed out after {(now - started) // 1000} seconds. Timeout configured as "
                                   f"{td.timeout_seconds} seconds. Timeout policy configured to {policy}"))
    if td.poll_timeout_seconds and task.status == TaskStatus.SCHEDULED.value:
        scheduled = (task.scheduled_time or 0) + delay
        limits.append((scheduled + td.poll_timeout_seconds * 1000 + callback, policy,
                       lambda now: f"Task poll timed out after {(now - scheduled) // 1000} seconds. Poll timeout "
                                   f"configured as {td.poll_timeout_seconds} seconds. Timeout policy configured "
                                   f"to {policy}"))
    if worker_task and td.response_timeout_seconds and task.status == TaskStatus.IN_PROGRESS.value:
        limits.append(((task.update_time or task.start_time or 0) + td.response_timeout_seconds * 1000 + callback,
                       "RETRY", lambda now: f"responseTimeout: {td.response_timeout_seconds} exceeded for the "
                                            f"taskId: {task.task_id} with Task Definition: {task.task_def_name}"))
    return limits


def workflow_deadline(workflow: Workflow, definition: WorkflowDef, now: int) -> Optional[int]:
    """When to look at a running workflow's timeout, or None: under ALERT_ONLY (the default policy) only while it
    is still to come, since once passed it has been logged and does nothing more."""
    due = workflow_timeout_due(workflow, definition)
    if due is not None and workflow_timeout_policy(definition) == ALERT_ONLY and due <= now:
        return None
    return due


def workflow_timeout_due(workflow: Workflow, definition: WorkflowDef) -> Optional[int]:
    """When the workflow's timeoutSeconds passes, counted from its last retry or its creation; None without one."""
    if not definition.timeout_seconds:
        return None
    return (workflow.last_retried_time or workflow.create_time) + definition.timeout_seconds * 1000


def workflow_timeout_policy(definition: WorkflowDef) -> str:
    return definition.timeout_policy or ALERT_ONLY


def workflow_timeout_reason(workflow: Workflow, definition: WorkflowDef, now: int) -> str:
    elapsed = (now - (workflow.last_retried_time or workflow.create_time)) // 1000
    return (f"Workflow timed out after {elapsed} seconds. Timeout configured as {definition.timeout_seconds} "
            f"seconds. Timeout policy configured to {workflow_timeout_policy(definition)}")
