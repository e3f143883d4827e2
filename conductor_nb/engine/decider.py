"""The decider: from a workflow's state to what happens next (tasks to schedule, retries, the workflow's end).

It works on the in-memory Workflow it is given and returns what changed; it does no I/O and reads no clock
(`now` is passed in), so the engine's shell owns persistence and tests can drive it with plain data.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

from ..models import Task, TaskDef, TaskStatus, Workflow, WorkflowDef, WorkflowStatus, WorkflowTask
from . import expressions
from .tasks import kind_of

# The task definition a SIMPLE task gets when none is registered (Conductor's MetadataMapperService).
DEFAULT_TASK_DEF = TaskDef(
    retry_count=3, retry_delay_seconds=60, retry_logic="FIXED", timeout_seconds=0, timeout_policy="TIME_OUT_WF",
    response_timeout_seconds=3600, backoff_scale_factor=1,
)
SUCCESSFUL = {TaskStatus.COMPLETED.value, TaskStatus.COMPLETED_WITH_ERRORS.value, TaskStatus.SKIPPED.value}
PENDING = {TaskStatus.SCHEDULED.value, TaskStatus.IN_PROGRESS.value}
# A task's final failure ends its workflow in this status.
WORKFLOW_STATUS_ON_FAILURE = {
    TaskStatus.TIMED_OUT.value: WorkflowStatus.TIMED_OUT.value,
    TaskStatus.CANCELED.value: WorkflowStatus.TERMINATED.value,
}


@dataclass
class Decision:
    """What one decide pass changed: new tasks, existing tasks it modified, and the workflow's end if reached."""

    scheduled: list[Task] = field(default_factory=list)
    changed: list[Task] = field(default_factory=list)
    ended: bool = False


class Scheduler:
    """Builds new tasks for one workflow: ids, sequence numbers, resolved inputs, task definitions."""

    def __init__(self, workflow: Workflow, definition: WorkflowDef, task_defs: Callable[[str], Optional[TaskDef]],
                 now: int, new_id: Callable[[], str] = lambda: str(uuid.uuid4())):
        self.workflow = workflow
        self.definition = definition
        self.task_defs = task_defs
        self.now = now
        self.new_id = new_id

    def task_def_for(self, wt: WorkflowTask) -> TaskDef:
        return wt.task_definition or self.task_defs(wt.name) or DEFAULT_TASK_DEF

    def new_task(self, wt: WorkflowTask, task_type: str, task_def_name: str, retry_of: Optional[Task]) -> Task:
        wf = self.workflow
        return Task(
            task_id=self.new_id(), task_type=task_type, task_def_name=task_def_name,
            reference_task_name=wt.task_reference_name, workflow_instance_id=wf.workflow_id,
            workflow_type=wf.workflow_name, correlation_id=wf.correlation_id, workflow_priority=wf.priority or 0,
            scheduled_time=self.now, start_time=0, end_time=0, update_time=self.now,
            retry_count=(retry_of.retry_count + 1) if retry_of else 0,
            retried_task_id=retry_of.task_id if retry_of else None, retried=False, executed=False,
            poll_count=0, callback_after_seconds=0, start_delay_in_seconds=wt.start_delay or 0,
            seq=len(wf.tasks) + 1, workflow_task=wt, iteration=0, subworkflow_changed=False,
            callback_from_worker=True, loop_over_task=False, queue_wait_time=0, output_data={},
        )

    def resolve_task_input(self, wt: WorkflowTask, task_def: TaskDef, task_id: str) -> dict:
        """The task's input: its inputParameters resolved, then the task definition's inputTemplate for the gaps."""
        resolved = expressions.resolve(wt.input_parameters or {}, ParameterContext(self.workflow), task_id)
        for key, value in (task_def.input_template or {}).items():
            if resolved.get(key) is None:
                resolved[key] = value
        return resolved

    def schedule(self, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        tasks = kind_of(wt.type).schedule(self, wt, retry_of)
        self.workflow.tasks.extend(tasks)
        return tasks


class ParameterContext(Mapping):
    """What `${...}` expressions see: `workflow` and each task reference, built only when a path asks for it."""

    def __init__(self, workflow: Workflow):
        self._workflow = workflow
        self._cache: dict[str, dict] = {}

    def __getitem__(self, key: str) -> dict:
        if key not in self._cache:
            value = self._build(key)
            if value is None:
                raise KeyError(key)
            self._cache[key] = value
        return self._cache[key]

    def _build(self, key: str) -> Optional[dict]:
        wf = self._workflow
        if key == "workflow":
            definition = wf.workflow_definition
            return {
                "input": wf.input, "output": wf.output, "status": wf.status, "workflowId": wf.workflow_id,
                "parentWorkflowId": wf.parent_workflow_id, "parentWorkflowTaskId": wf.parent_workflow_task_id,
                "workflowType": wf.workflow_name, "version": wf.workflow_version,
                "correlationId": wf.correlation_id, "reasonForIncompletion": wf.reason_for_incompletion,
                "schemaVersion": definition.schema_version if definition else 2, "variables": wf.variables,
                "createTime": wf.create_time, "taskToDomain": wf.task_to_domain,
            }
        for task in reversed(wf.tasks or []):
            if task.reference_task_name == key:
                data = task.to_dict()
                data.pop("workflowTask", None)
                data["input"] = data.pop("inputData", {})
                data["output"] = data.pop("outputData", {})
                return data
        return None

    def __iter__(self) -> Iterator[str]:
        return iter(["workflow", *dict.fromkeys(t.reference_task_name for t in self._workflow.tasks or [])])

    def __len__(self) -> int:
        return sum(1 for _ in self)


def next_task(definition: WorkflowDef, ref: str) -> Optional[WorkflowTask]:
    """The task that follows `ref` in the definition, or None at the end."""
    tasks = definition.tasks or []
    for i, wt in enumerate(tasks):
        if wt.task_reference_name == ref:
            return tasks[i + 1] if i + 1 < len(tasks) else None
    return None


def retry_delay(task_def: TaskDef, attempt: int) -> int:
    """Seconds before the next attempt after attempt number `attempt` (0-based) failed."""
    delay = task_def.retry_delay_seconds if task_def.retry_delay_seconds is not None else 60
    logic = task_def.retry_logic or "FIXED"
    if logic == "LINEAR_BACKOFF":
        delay = delay * (task_def.backoff_scale_factor or 1) * (attempt + 1)
    elif logic == "EXPONENTIAL_BACKOFF":
        delay = delay * 2 ** attempt
    if task_def.max_retry_delay_seconds:
        delay = min(delay, task_def.max_retry_delay_seconds)
    return int(delay)


def decide(scheduler: Scheduler) -> Decision:
    """One decide pass over the scheduler's workflow: follow finished tasks, retry failed ones, end if done."""
    wf = scheduler.workflow
    decision = Decision()
    if wf.status != WorkflowStatus.RUNNING.value:
        return decision
    if not wf.tasks:
        first = (scheduler.definition.tasks or [None])[0]
        if first is not None:
            decision.scheduled += scheduler.schedule(first)
    for task in list(wf.tasks):
        if task.executed or task.status in PENDING:
            continue
        task.executed = True
        decision.changed.append(task)
        if task.status in SUCCESSFUL:
            _follow(scheduler, task, decision)
        elif not _retry(scheduler, task, decision):
            wt = task.workflow_task
            if wt is not None and wt.optional:
                task.status = TaskStatus.COMPLETED_WITH_ERRORS.value
                _follow(scheduler, task, decision)
            else:
                _fail(wf, task, decision)
                return decision
    if not decision.scheduled and all(t.status not in PENDING for t in wf.tasks):
        _complete(scheduler, decision)
    return decision


def _follow(scheduler: Scheduler, task: Task, decision: Decision) -> None:
    nxt = next_task(scheduler.definition, task.reference_task_name)
    if nxt is not None and not any(t.reference_task_name == nxt.task_reference_name for t in scheduler.workflow.tasks):
        decision.scheduled += scheduler.schedule(nxt)


def _retry(scheduler: Scheduler, task: Task, decision: Decision) -> bool:
    """Schedule the next attempt of a failed task if its retries allow it; say whether it did."""
    wt = task.workflow_task
    if wt is None or not TaskStatus(task.status).is_retriable or not kind_of(wt.type).polled_by_workers:
        return False
    task_def = scheduler.task_def_for(wt)
    allowed = wt.retry_count if wt.retry_count is not None else (task_def.retry_count or 0)
    if task.retry_count >= allowed:
        return False
    task.retried = True
    (retry,) = scheduler.schedule(wt, retry_of=task)
    retry.callback_after_seconds = retry_delay(task_def, task.retry_count)
    decision.scheduled.append(retry)
    return True


def _fail(wf: Workflow, task: Task, decision: Decision) -> None:
    status = WORKFLOW_STATUS_ON_FAILURE.get(task.status, WorkflowStatus.FAILED.value)
    wf.status = status
    wf.reason_for_incompletion = (
        f"Task {task.task_id} failed with status: {task.status} and reason: '{task.reason_for_incompletion}'"
    )
    wf.failed_reference_task_names = sorted({*(wf.failed_reference_task_names or []), task.reference_task_name})
    wf.failed_task_names = sorted({*(wf.failed_task_names or []), task.task_def_name})
    for other in wf.tasks:
        if other.status in PENDING:
            other.status = TaskStatus.CANCELED.value
            other.executed = True
            decision.changed.append(other)
    decision.ended = True


def _complete(scheduler: Scheduler, decision: Decision) -> None:
    wf = scheduler.workflow
    output_parameters = scheduler.definition.output_parameters
    if output_parameters:
        wf.output = expressions.resolve(output_parameters, ParameterContext(wf))
    elif wf.tasks:
        wf.output = dict(wf.tasks[-1].output_data or {})
    wf.status = WorkflowStatus.COMPLETED.value
    decision.ended = True
