"""The decider: from a workflow's state to what happens next (tasks to schedule, retries, the workflow's end).

It works on the in-memory WorkflowState it is given and records every task it touches; it reads no clock (`now`
comes in) and reaches the rest of the engine only through the `Services` it is handed (definitions, child
workflows), so the engine's shell owns persistence and tests can drive it with plain data.
"""

from __future__ import annotations

import copy
import uuid
from collections import deque
from collections.abc import Mapping
from typing import Callable, Iterator, Optional, Protocol

from ..models import StartWorkflowRequest, Task, TaskDef, TaskStatus, WorkflowStatus, WorkflowTask
from . import expressions
from .definitions import iteration_ref
from .state import PENDING, SUCCESSFUL, WorkflowState
from .tasks import TerminateWorkflow, kind_of

# The task definition a SIMPLE task gets when none is registered (Conductor's MetadataMapperService)...
DEFAULT_TASK_DEF = TaskDef(
    retry_count=3, retry_delay_seconds=60, retry_logic="FIXED", timeout_seconds=0, timeout_policy="TIME_OUT_WF",
    response_timeout_seconds=3600, backoff_scale_factor=1,
)
# ...and the one system tasks get: no retries.
SYSTEM_TASK_DEF = TaskDef(retry_count=0, retry_delay_seconds=0, retry_logic="FIXED", timeout_seconds=0,
                          response_timeout_seconds=0, backoff_scale_factor=1)
# A task's final failure ends its workflow in this status.
WORKFLOW_STATUS_ON_FAILURE = {
    TaskStatus.TIMED_OUT.value: WorkflowStatus.TIMED_OUT.value,
    TaskStatus.CANCELED.value: WorkflowStatus.TERMINATED.value,
}


class Services(Protocol):
    """What the decider may ask of the engine's shell."""

    def task_def(self, name: str) -> Optional[TaskDef]: ...

    def start_child(self, ctx: Context, task: Task, request: StartWorkflowRequest) -> str:
        """Start a SUB_WORKFLOW's child in the same transaction; return its id."""

    def start_workflow(self, request: StartWorkflowRequest) -> str:
        """Start an unrelated workflow (START_WORKFLOW) in the same transaction; return its id."""

    def cancel_child(self, child_workflow_id: str, reason: str) -> None:
        """Terminate a child workflow once this transition is saved."""


class Context:
    """One transition of one workflow: its state, the time, the engine's services, and what changed."""

    def __init__(self, state: WorkflowState, now: int, services: Services,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4())):
        self.state = state
        self.now = now
        self.services = services
        self.new_id = new_id
        self.changed: dict[str, Task] = {}
        self.scheduled: list[Task] = []
        self.removed: set[str] = set()
        self._to_start: deque[Task] = deque()  # mapped tasks whose synchronous work waits for the mapping to end
        self._mapping = 0
        self.ended = False
        self.failure_workflow_due = False  # the workflow failed in a way that starts its failureWorkflow
        self._unfollowed: deque[Task] = deque()

    @property
    def workflow(self):
        return self.state.workflow

    def touch(self, task: Task) -> None:
        """Record that `task` changed (it will be saved) and queue it to be followed if it just finished."""
        self.changed[task.task_id] = task
        self.state.refresh(task)
        if task.status not in PENDING and not task.executed:
            self._unfollowed.append(task)

    # ---------------------------------------------------------------------------------------- building tasks
    def task_def(self, wt: WorkflowTask) -> TaskDef:
        return effective_task_def(wt, self.services.task_def)

    def new_task(self, wt: WorkflowTask, task_type: str, retry_of: Optional[Task] = None,
                 task_def_name: Optional[str] = None) -> Task:
        """A SCHEDULED task for `wt` (not yet added): loop tasks get `ref__N` and their iteration."""
        wf = self.workflow
        if retry_of is not None:
            ref, iteration = retry_of.reference_task_name, retry_of.iteration
        else:
            ref, iteration = self.loop_ref(wt)
        return Task(
            task_id=self.new_id(), task_type=task_type, task_def_name=task_def_name or wt.name or task_type,
            reference_task_name=ref, workflow_instance_id=wf.workflow_id, workflow_type=wf.workflow_name,
            correlation_id=wf.correlation_id, workflow_priority=wf.priority or 0, status=TaskStatus.SCHEDULED.value,
            scheduled_time=self.now, start_time=0, end_time=0, update_time=self.now,
            retry_count=(retry_of.retry_count + 1) if retry_of else 0,
            retried_task_id=retry_of.task_id if retry_of else None, retried=False, executed=False,
            poll_count=0, callback_after_seconds=0, start_delay_in_seconds=wt.start_delay or 0,
            seq=0, workflow_task=wt, iteration=iteration, subworkflow_changed=False, callback_from_worker=True,
            loop_over_task=iteration > 0, queue_wait_time=0, input_data={}, output_data={},
        )

    def loop_ref(self, wt: WorkflowTask) -> tuple[str, int]:
        loop = self.state.index.loop_of.get(wt.task_reference_name)
        if loop is None:
            return wt.task_reference_name, 0
        loop_task = self.state.task(loop.task_reference_name)
        iteration = (loop_task.iteration or 1) if loop_task else 1
        return iteration_ref(wt.task_reference_name, iteration), iteration

    def resolve(self, value, task_id: Optional[str] = None):
        """`value` with its `${...}` expressions resolved against the workflow and its tasks."""
        return expressions.resolve(value, ParameterContext(self.state), task_id)

    def task_input(self, wt: WorkflowTask, task: Task, task_def: Optional[TaskDef] = None) -> dict:
        """inputParameters, with the task definition's inputTemplate filling the gaps, resolved together; a key
        that resolves to null then takes the template's value, as it stands (Conductor's getTaskInputV2)."""
        template = (task_def or self.task_def(wt)).input_template or {}
        params = dict(wt.input_parameters or {})
        for key, value in template.items():
            if params.get(key) is None:
                params[key] = value
        resolved = self.resolve(params, task.task_id)
        for key, value in template.items():
            if resolved.get(key) is None:
                resolved[key] = copy.deepcopy(value)
        return resolved

    def remove(self, task_ids: set[str]) -> None:
        """Drop tasks from the workflow (a DO_WHILE's keepLastN); the shell deletes them from the store."""
        self.state.remove(task_ids)
        self.removed |= task_ids
        for task_id in task_ids:
            self.changed.pop(task_id, None)

    def add(self, task: Task, seq: Optional[int] = None) -> Task:
        """Append a new task to the workflow (task kinds call this from `schedule`), with the next seq unless
        given one (a skipped task has 0, as in Conductor)."""
        task.seq = self.state.next_seq if seq is None else seq
        self.state.add(task)
        self.scheduled.append(task)
        self.touch(task)
        return task

    def schedule(self, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        """Add the tasks for `wt` to the workflow (Conductor's task mapper), then, once the outermost mapping is
        done, start in order those that run at once (as Conductor runs synchronous system tasks after mapping)."""
        self._mapping += 1
        try:
            tasks = kind_of(wt.type).schedule(self, wt, retry_of)
        finally:
            self._mapping -= 1
        self._to_start.extend(tasks)
        if self._mapping == 0:
            while self._to_start and not self.ended:
                task = self._to_start.popleft()
                if task.status == TaskStatus.SCHEDULED.value:
                    kind_of(task.workflow_task.type).start(self, task)
                self.touch(task)
        return tasks

    # -------------------------------------------------------------------------------------- ending workflows
    def end(self, status: str, reason: Optional[str] = None, output: Optional[dict] = None) -> None:
        """End the workflow: cancel what is still pending, record status, reason and output."""
        wf = self.workflow
        wf.status = status
        if reason is not None:
            wf.reason_for_incompletion = reason
        wf.output = output if output is not None else self.workflow_output()
        wf.end_time = self.now
        self.ended = True
        for task in list(self.state.pending.values()):
            kind_of(task.workflow_task.type).cancel(self, task)
            task.end_time = task.end_time or self.now
            task.executed = True
            self.touch(task)

    def workflow_output(self) -> dict:
        """The definition's outputParameters resolved, else the output of the last task (Conductor's
        DeciderService.updateWorkflowOutput)."""
        output_parameters = self.state.definition.output_parameters
        if output_parameters:
            return self.resolve(output_parameters)
        tasks = self.workflow.tasks
        return dict(tasks[-1].output_data or {}) if tasks else {}

    def fail(self, task: Task, reason: Optional[str] = None) -> None:
        status = WORKFLOW_STATUS_ON_FAILURE.get(task.status, WorkflowStatus.FAILED.value)
        self.failure_workflow_due = True
        wf = self.workflow
        wf.failed_reference_task_names = sorted({*(wf.failed_reference_task_names or []), task.reference_task_name})
        wf.failed_task_names = sorted({*(wf.failed_task_names or []), task.task_def_name})
        self.end(status, reason or (
            f"Task {task.task_id} failed with status: {status} and reason: '{task.reason_for_incompletion}'"))


def effective_task_def(wt: WorkflowTask, registered: Callable[[str], Optional[TaskDef]]) -> TaskDef:
    """The task definition that governs `wt`: embedded, else registered, else Conductor's default for its kind."""
    if wt.task_definition is not None:
        return wt.task_definition
    found = registered(wt.name) if wt.name else None
    if found is not None:
        return found
    return DEFAULT_TASK_DEF if kind_of(wt.type).polled_by_workers else SYSTEM_TASK_DEF


class ParameterContext(Mapping):
    """What `${...}` expressions see: `workflow` and each task reference, built only when a path asks for it."""

    def __init__(self, state: WorkflowState):
        self._state = state
        self._cache: dict[str, dict] = {}

    def __getitem__(self, key: str) -> dict:
        if key not in self._cache:
            value = self._build(key)
            if value is None:
                raise KeyError(key)
            self._cache[key] = value
        return self._cache[key]

    def _build(self, key: str) -> Optional[dict]:
        wf = self._state.workflow
        if key == "workflow":
            definition = self._state.definition
            return {
                "input": wf.input, "output": wf.output, "status": wf.status, "workflowId": wf.workflow_id,
                "parentWorkflowId": wf.parent_workflow_id, "parentWorkflowTaskId": wf.parent_workflow_task_id,
                "workflowType": wf.workflow_name, "version": wf.workflow_version,
                "correlationId": wf.correlation_id, "reasonForIncompletion": wf.reason_for_incompletion,
                "schemaVersion": definition.schema_version or 2, "variables": wf.variables,
                "createTime": wf.create_time, "taskToDomain": wf.task_to_domain,
            }
        task = self._state.latest_base.get(key)
        if task is None:
            return None
        data = task.to_dict()
        data.pop("workflowTask", None)
        data["input"] = data.pop("inputData", {})
        data["output"] = data.pop("outputData", {})
        return data

    def __iter__(self) -> Iterator[str]:
        return iter(["workflow", *self._state.latest_base])

    def __len__(self) -> int:
        return 1 + len(self._state.latest_base)


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


def decide(ctx: Context, touched: list[Task] = ()) -> None:
    """Run the workflow forward as far as it goes now: follow finished tasks, retry failed ones, evaluate
    operators (joins, loops), and end the workflow when nothing is left to do."""
    try:
        _decide(ctx, touched)
    except TerminateWorkflow as e:
        ctx.failure_workflow_due = True
        ctx.end(WorkflowStatus.FAILED.value, str(e))


def _decide(ctx: Context, touched: list[Task]) -> None:
    state = ctx.state
    wf = state.workflow
    if wf.status != WorkflowStatus.RUNNING.value:
        return
    for task in touched:
        ctx.touch(task)
    if not wf.tasks:
        if state.index.first is None:
            _complete(ctx)
            return
        ctx.schedule(state.index.first)
    while not ctx.ended:
        while ctx._unfollowed and not ctx.ended:
            task = ctx._unfollowed.popleft()
            if not task.executed and task.status not in PENDING:
                _follow(ctx, task)
        if ctx.ended:
            return
        progressed = False
        for task in list(state.operators.values()):
            if task.status in PENDING and kind_of(task.workflow_task.type).evaluate(ctx, task):
                ctx.touch(task)
                progressed = True
            if ctx.ended:
                return
        if not progressed and not ctx._unfollowed:
            break
    if not ctx.ended and not state.pending:
        _complete(ctx)


def _follow(ctx: Context, task: Task) -> None:
    """A task just finished: schedule what comes after it, retry it, or fail the workflow."""
    task.executed = True
    ctx.touch(task)
    if task.status in SUCCESSFUL:
        _schedule_next(ctx, task)
        return
    if _retry(ctx, task):
        return
    wt = task.workflow_task
    if wt is not None and wt.optional:
        task.status = TaskStatus.COMPLETED_WITH_ERRORS.value
        ctx.touch(task)
        _schedule_next(ctx, task)
    elif wt is not None and wt.permissive:
        _schedule_next(ctx, task)  # the workflow goes on and fails at its end
    else:
        ctx.fail(task)


def _schedule_next(ctx: Context, task: Task) -> None:
    if task.task_type in ("SWITCH", "DECISION") and task.input_data.get("hasChildren"):
        return  # the selected case's tasks run first; the last of them leads on
    index = ctx.state.index
    nxt = index.next_task(task.reference_task_name)
    while nxt is not None and _was_skipped(ctx, nxt):
        nxt = index.next_task(nxt.task_reference_name)
    if nxt is None:
        return
    ref = ctx.loop_ref(nxt)[0]
    if ctx.state.task(ref) is not None:
        return  # already scheduled (a JOIN scheduled with its fork, a DO_WHILE deciding its next iteration)
    ctx.schedule(nxt)


def _was_skipped(ctx: Context, wt: WorkflowTask) -> bool:
    existing = ctx.state.task(ctx.loop_ref(wt)[0])
    return existing is not None and existing.status == TaskStatus.SKIPPED.value


def _retry(ctx: Context, task: Task) -> bool:
    """Schedule the next attempt of a failed task if its retries allow it; say whether it did."""
    wt = task.workflow_task
    if wt is None or not TaskStatus(task.status).is_retriable or not kind_of(wt.type).retriable:
        return False
    task_def = ctx.task_def(wt)
    allowed = wt.retry_count if wt.retry_count is not None else (task_def.retry_count or 0)
    if (task.retry_count or 0) >= allowed:
        return False
    task.retried = True
    ctx.touch(task)
    delay = retry_delay(task_def, task.retry_count or 0)
    for retry in ctx.schedule(wt, retry_of=task):
        retry.callback_after_seconds = delay
    return True


def _complete(ctx: Context) -> None:
    failed_permissive = [t for t in ctx.state.latest.values()
                         if t.workflow_task is not None and t.workflow_task.permissive
                         and t.status not in SUCCESSFUL and t.status not in PENDING]
    if failed_permissive:
        ctx.fail(failed_permissive[0])
        return
    ctx.end(WorkflowStatus.COMPLETED.value)
