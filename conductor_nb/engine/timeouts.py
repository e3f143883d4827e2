"""When worker tasks and workflows time out (Conductor's DeciderService checks), as pure functions of the time.

`*_deadline` says when to look again (the engine sets a timer); `*_timeout` says, at a given time, whether the
limit has passed and with which policy and reason.
"""

from __future__ import annotations

from typing import Optional

from ..models import Task, TaskDef, TaskStatus, Workflow, WorkflowDef


def task_deadline(task: Task, task_def: TaskDef) -> Optional[int]:
    """The earliest epoch ms at which one of the task's limits may pass, or None if it has none now."""
    candidates = [limit[0] for limit in _limits(task, task_def)]
    return min(candidates) if candidates else None


def task_timeout(task: Task, task_def: TaskDef, now: int) -> Optional[tuple[str, str]]:
    """(timeout policy, reason) if one of the task's limits has passed at `now`."""
    for due, policy, reason in _limits(task, task_def):
        if now >= due:
            return policy, reason
    return None


def _limits(task: Task, td: TaskDef) -> list[tuple[int, str, str]]:
    """(due, policy, reason) for each limit that applies to the task in its current status."""
    delay = (task.start_delay_in_seconds or 0) * 1000
    callback = (task.callback_after_seconds or 0) * 1000
    policy = td.timeout_policy or "TIME_OUT_WF"
    limits = []
    if task.status == TaskStatus.IN_PROGRESS.value:
        if td.timeout_seconds and task.start_time:
            limits.append((task.start_time + delay + td.timeout_seconds * 1000, policy,
                           f"Task timed out after {td.timeout_seconds} seconds. Timeout configured as "
                           f"{td.timeout_seconds} seconds. Timeout policy configured to {policy}"))
        if td.response_timeout_seconds:
            limits.append(((task.update_time or task.start_time or 0) + td.response_timeout_seconds * 1000 + callback,
                           "RETRY", f"responseTimeout: {td.response_timeout_seconds} exceeded for the taskId: "
                                    f"{task.task_id} with Task Definition: {task.task_def_name}"))
    elif task.status == TaskStatus.SCHEDULED.value and td.poll_timeout_seconds and not task.start_time:
        # (a task a worker already started, back in its queue after an IN_PROGRESS update, was picked up)
        limits.append(((task.scheduled_time or 0) + delay + td.poll_timeout_seconds * 1000 + callback, policy,
                       f"Task poll timed out after {td.poll_timeout_seconds} seconds. Timeout policy configured "
                       f"to {policy}"))
    return limits


def workflow_deadline(workflow: Workflow, definition: WorkflowDef) -> Optional[int]:
    """When a running workflow times out (TIME_OUT_WF only: ALERT_ONLY never ends it), or None."""
    if not definition.timeout_seconds or (definition.timeout_policy or "ALERT_ONLY") != "TIME_OUT_WF":
        return None
    return (workflow.last_retried_time or workflow.create_time) + definition.timeout_seconds * 1000


def workflow_timeout_reason(workflow: Workflow, definition: WorkflowDef, now: int) -> str:
    elapsed = (now - (workflow.last_retried_time or workflow.create_time)) // 1000
    return (f"Workflow timed out after {elapsed} seconds. Timeout configured as {definition.timeout_seconds} "
            "seconds. Timeout policy configured to TIME_OUT_WF")
