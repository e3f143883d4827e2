"""Operations on existing workflows: retry, restart, rerun, skip, variables and state updates, and workflow tests.

A mixin of the Engine, kept apart so that the shell (engine.py) stays about moving workflows forward; every method
here runs inside the engine's transitions and uses its private helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ..errors import ConflictError, NotFoundError, ServerError, bad_request
from ..models import (
    RerunWorkflowRequest,
    SkipTaskRequest,
    Task,
    TaskResult,
    TaskStatus,
    Workflow,
    WorkflowDef,
    WorkflowRun,
    WorkflowStateUpdate,
    WorkflowStatus,
    WorkflowTestRequest,
)
from . import decider, testing, validation
from .state import ENDED, PENDING, WorkflowState
from .tasks import kind_of

if TYPE_CHECKING:
    from .engine import Transition


class Operations:
    """retry / restart / rerun / skip / variables / state / test_workflow, for the Engine."""

    def retry_workflow(self, workflow_id: str, resume_subworkflow_tasks: bool = False) -> None:
        self._transition(lambda tx: self._retry(tx, workflow_id, resume_subworkflow_tasks))

    def _retry(self, tx: Transition, workflow_id: str, resume_subworkflow_tasks: bool) -> None:
        state = self._state(workflow_id)
        wf = state.workflow
        if wf.status not in ENDED:
            raise NotFoundError(f"Workflow is still running.  status={wf.status}")
        if not wf.tasks:
            raise ConflictError("Workflow has not started yet")
        if resume_subworkflow_tasks:
            child = self._failed_child(state)
            if child is not None:
                return self._retry(tx, child, True)
        ctx = self._context(tx, state)
        retriable: dict[str, Task] = {}
        for task in wf.tasks:
            unsuccessful = task.status in (TaskStatus.FAILED.value, TaskStatus.FAILED_WITH_TERMINAL_ERROR.value,
                                           TaskStatus.TIMED_OUT.value, TaskStatus.CANCELED.value)
            if unsuccessful and task.task_type in ("JOIN", "DO_WHILE"):  # operators reopen in place
                task.status = TaskStatus.IN_PROGRESS.value
                task.executed = False
                task.reason_for_incompletion = None
                task.end_time = 0
                ctx.touch(task)
                retriable.pop(task.reference_task_name, None)
            elif unsuccessful:
                retriable[task.reference_task_name] = task
            else:
                retriable.pop(task.reference_task_name, None)
        if not retriable and wf.status != WorkflowStatus.TIMED_OUT.value:
            raise ConflictError("There are no retryable tasks! Use restart if you want to attempt entire "
                                "workflow execution again.")
        wf.status = WorkflowStatus.RUNNING.value
        wf.last_retried_time = ctx.now
        wf.reason_for_incompletion = None
        wf.end_time = 0
        for task in sorted(retriable.values(), key=lambda t: t.seq):
            self._reschedule(ctx, task)
        self._reopen_parent(tx, wf)
        decider.decide(ctx)
        self._record(tx, ctx)

    def _reschedule(self, ctx: decider.Context, task: Task) -> None:
        """A fresh SCHEDULED copy of a finished task (Conductor's taskToBeRescheduled), started if it runs at once."""
        copy = Task.from_dict(task.to_dict())
        copy.task_id = ctx.new_id()
        copy.retried_task_id = task.task_id
        copy.status = TaskStatus.SCHEDULED.value
        copy.retried = copy.executed = False
        copy.poll_count = copy.callback_after_seconds = 0
        copy.sub_workflow_id = copy.worker_id = copy.reason_for_incompletion = None
        copy.scheduled_time, copy.start_time, copy.end_time = ctx.now, 0, 0
        copy.output_data = {}
        copy.input_data = {**task.input_data, **ctx.task_input(task.workflow_task, copy)} \
            if kind_of(task.workflow_task.type).polled_by_workers else task.input_data
        task.retried = task.executed = True
        ctx.touch(task)
        ctx.add(copy)
        kind = kind_of(copy.workflow_task.type)
        kind.start(ctx, copy)
        ctx.touch(copy)

    def _failed_child(self, state: WorkflowState) -> Optional[str]:
        for task in reversed(state.workflow.tasks):
            if task.task_type == "SUB_WORKFLOW" and task.sub_workflow_id and task.status not in PENDING \
                    and task.status != TaskStatus.COMPLETED.value:
                return task.sub_workflow_id
        return None

    def _reopen_parent(self, tx: Transition, child: Workflow) -> None:
        """A retried or rerun child puts its parent's SUB_WORKFLOW task (and the parent) back in progress."""
        if not child.parent_workflow_id:
            return
        try:
            parent = self._state(child.parent_workflow_id)
        except NotFoundError:
            return
        task = parent.by_id.get(child.parent_workflow_task_id)
        if task is None or parent.workflow.status == WorkflowStatus.COMPLETED.value:
            return  # a completed parent (its child's failure was optional) stays as it is
        task.status = TaskStatus.IN_PROGRESS.value
        task.executed = False
        task.end_time = 0
        parent.refresh(task)
        if parent.workflow.status in ENDED:
            parent.workflow.status = WorkflowStatus.RUNNING.value
            parent.workflow.reason_for_incompletion = None
            parent.workflow.end_time = 0
            parent.workflow.last_retried_time = self._clock.now()  # its own timeout counts from now
            for other in parent.workflow.tasks:
                if other.status == TaskStatus.CANCELED.value and other.task_type in ("JOIN", "DO_WHILE"):
                    other.status = TaskStatus.IN_PROGRESS.value
                    other.executed = False
                    parent.refresh(other)
                    tx.mark(parent, [other])
            self._cache(parent)
            self._reopen_parent(tx, parent.workflow)
        tx.mark(parent, [task])

    def restart_workflow(self, workflow_id: str, use_latest_definitions: bool = False) -> None:
        def restart(tx: Transition) -> None:
            state = self._state(workflow_id)
            wf = state.workflow
            if wf.status not in ENDED:
                raise ConflictError(f"Workflow {workflow_id} is still {wf.status}, only ended workflows restart")
            if wf.status == WorkflowStatus.COMPLETED.value and state.definition.restartable is False:
                raise NotFoundError(f"Workflow {workflow_id} is COMPLETED and its definition is not restartable")
            if use_latest_definitions:
                latest = self._store.get_workflow_def(state.definition.name, None)
                if latest is not None:
                    state = self._rebind(state, WorkflowDef.from_dict(latest))
            self._start_over(tx, state, wf.input)

        self._transition(restart)

    def rerun_workflow(self, workflow_id: str, request: RerunWorkflowRequest) -> str:
        request = request if isinstance(request, RerunWorkflowRequest) else RerunWorkflowRequest.from_dict(request)

        def rerun(tx: Transition) -> str:
            state = self._state(workflow_id)
            wf = state.workflow
            if wf.status not in ENDED:
                raise ConflictError(f"Workflow {workflow_id} is still {wf.status}, only ended workflows rerun")
            path = None
            if request.re_run_from_task_id:
                path = self._path_to_task(workflow_id, request.re_run_from_task_id)
                if path is None:
                    raise bad_request("reRunFromTaskId", f"no task {request.re_run_from_task_id} in workflow "
                                      f"{workflow_id} or its sub-workflows", request.re_run_from_task_id)
                for child, _ in path[1:]:
                    if child.workflow.status not in ENDED:
                        raise ConflictError(f"Workflow {child.workflow.workflow_id} is still "
                                            f"{child.workflow.status}, only ended workflows rerun")
            if request.correlation_id is not None:
                wf.correlation_id = request.correlation_id
            if path is None:
                self._start_over(tx, state, request.workflow_input if request.workflow_input is not None
                                 else wf.input)
                return workflow_id
            if request.workflow_input is not None:
                wf.input = request.workflow_input
            *parents, (holder, task) = path
            for parent, sub_workflow_task in parents:  # each parent waits on its rerun child again
                self._rerun_from(tx, parent, sub_workflow_task, None, resume_child=True)
            self._rerun_from(tx, holder, task, request.task_input)
            return workflow_id

        return self._transition(rerun)

    def _start_over(self, tx: Transition, state: WorkflowState, workflow_input: Optional[dict]) -> None:
        wf = state.workflow
        tx.removed |= {t.task_id for t in wf.tasks}
        state.remove({t.task_id for t in wf.tasks})
        now = self._clock.now()
        wf.input = dict(workflow_input or {})
        wf.status = WorkflowStatus.RUNNING.value
        wf.output, wf.reason_for_incompletion, wf.end_time = {}, None, 0
        wf.failed_reference_task_names, wf.failed_task_names = [], []
        wf.create_time = wf.start_time = now
        wf.variables = dict(state.definition.variables or {})
        self._cache(state)
        self._reopen_parent(tx, wf)
        self._decide(tx, state, [])

    def _path_to_task(self, workflow_id: str, task_id: Optional[str]) -> Optional[list[tuple[WorkflowState, Task]]]:
        """From `workflow_id` down to the workflow that holds the task, each with the task to rerun it from: the
        SUB_WORKFLOW task whose child is the next level, then the task itself (Conductor's rerun searches
        sub-workflows recursively). None if neither the workflow nor its sub-workflows hold the task."""
        task = self._task(task_id) if task_id else None
        path: list[tuple[WorkflowState, Task]] = []
        while task is not None:
            state = self._state(task.workflow_instance_id)
            path.append((state, task))
            if state.workflow.workflow_id == workflow_id:
                return path[::-1]
            parent_id = state.workflow.parent_workflow_id
            try:
                task = self._state(parent_id).by_id.get(state.workflow.parent_workflow_task_id) if parent_id else None
            except NotFoundError:
                return None
        return None

    def _rerun_from(self, tx: Transition, state: WorkflowState, task: Task, task_input: Optional[dict],
                    resume_child: bool = False) -> None:
        """Rerun the workflow from `task`: later tasks go, the task starts again. With `resume_child`, `task` is a
        SUB_WORKFLOW task whose child is rerun too: it waits on that same child again, IN_PROGRESS, and the tasks
        after it stay as they are (Conductor's updateAndPushParents: what already ran after it does not run again)."""
        wf = state.workflow
        if not resume_child:
            later = {t.task_id for t in wf.tasks if t.seq > task.seq}
            tx.removed |= later
            state.remove(later)
        ctx = self._context(tx, state)
        for other in wf.tasks:  # operators that contain the rerun task wait again
            if other.task_type in ("JOIN", "DO_WHILE") and other.status not in PENDING and other is not task:
                other.status = TaskStatus.IN_PROGRESS.value
                other.executed = False
                ctx.touch(other)
        task.executed = task.retried = False
        task.reason_for_incompletion = task.worker_id = None
        task.output_data = {}
        task.scheduled_time, task.start_time, task.end_time = ctx.now, 0, 0
        if resume_child:
            task.status = TaskStatus.IN_PROGRESS.value
            task.start_time = ctx.now
        else:
            task.status = TaskStatus.SCHEDULED.value
            task.sub_workflow_id = None
            if task_input is not None:
                task.input_data = dict(task_input)
        wf.status = WorkflowStatus.RUNNING.value
        wf.reason_for_incompletion, wf.end_time, wf.output = None, 0, {}
        self._cache(state)
        if not resume_child:
            ctx.scheduled.append(task)
            kind_of(task.workflow_task.type).start(ctx, task)
        ctx.touch(task)
        self._reopen_parent(tx, wf)
        decider.decide(ctx)
        self._record(tx, ctx)

    def _rebind(self, state: WorkflowState, definition: WorkflowDef) -> WorkflowState:
        """The same execution on another definition (restart with the latest definitions)."""
        def_key, index = self._index_for(definition.to_json(), definition)
        state.workflow.workflow_definition = definition
        state.workflow.workflow_version = definition.version
        rebound = WorkflowState(state.workflow, index, def_key, state.rev)
        self._cache(rebound)
        return rebound

    def skip_task_from_workflow(self, workflow_id: str, task_reference_name: str,
                                request: Optional[SkipTaskRequest] = None) -> None:
        def skip(tx: Transition) -> None:
            state = self._state(workflow_id)
            wf = state.workflow
            if wf.status != WorkflowStatus.RUNNING.value:
                raise ServerError(f"The workflow {workflow_id} is not running so the task referenced by "
                                  f"{task_reference_name} cannot be skipped")
            wt = state.index.task(task_reference_name)
            if wt is None:
                raise ServerError(f"The task referenced by {task_reference_name} does not exist in the "
                                  f"WorkflowDefinition {wf.workflow_name}")
            if state.task(task_reference_name) is not None:
                raise ServerError(f"The task referenced {task_reference_name} has already been processed, "
                                  "cannot be skipped")
            ctx = self._context(tx, state)
            task = ctx.new_task(wt, wt.name if (wt.type or "SIMPLE") == "SIMPLE" else wt.type)
            task.status = TaskStatus.SKIPPED.value
            task.executed = True  # nothing follows from it directly: its predecessor's end steps over it
            task.start_time = task.end_time = ctx.now
            task.input_data = dict(request.task_input or {}) if request else {}
            task.output_data = dict(request.task_output or {}) if request else {}
            ctx.add(task, seq=0)  # Conductor's skipped task has no seq of its own: listed first
            decider.decide(ctx)
            self._record(tx, ctx)

        self._transition(skip)

    def update_workflow_variables(self, workflow_id: str, variables: dict) -> Workflow:
        def update(tx: Transition) -> None:
            state = self._state(workflow_id)
            state.workflow.variables = {**(state.workflow.variables or {}), **(variables or {})}
            tx.mark(state)

        self._transition(update)
        return self.get_workflow(workflow_id)

    def update_workflow_state(self, workflow_id: str, update: WorkflowStateUpdate, request_id: Optional[str] = None,
                              wait_until_task_ref: Optional[str] = None, wait_for_seconds: int = 10) -> WorkflowRun:
        update = update if isinstance(update, WorkflowStateUpdate) else WorkflowStateUpdate.from_dict(update)
        if update.variables:
            self.update_workflow_variables(workflow_id, update.variables)
        if update.task_reference_name and update.task_result is not None:
            with self._lock:
                task = self._pending_task_by_ref(workflow_id, update.task_reference_name)
            result = TaskResult.from_dict({**update.task_result.to_dict(), "taskId": task.task_id,
                                           "workflowInstanceId": workflow_id})
            self.update_task(result)
        return self._wait(workflow_id, request_id, wait_until_task_ref, wait_for_seconds)

    def _backdate(self, task_id: str, status: str, output: dict, execution_ms: int, queue_wait_ms: int) -> None:
        """A workflow test's mock that took time: write it as if it had run that long, then apply the limits."""
        def work(tx: Transition) -> None:
            task = self._task(task_id)
            state = self._state(task.workflow_instance_id)
            now = self._clock.now()
            task.scheduled_time = now - (execution_ms + queue_wait_ms)
            task.start_time = task.update_time = now - execution_ms
            task.status = status
            task.output_data = {**(task.output_data or {}), **output}
            if status in PENDING:
                state.refresh(task)
                tx.mark(state, [task])
                self._check_timeouts(tx, state)
            else:
                task.end_time = now
                self._store.unqueue(task.task_id)
                self._decide(tx, state, [task])

        self._transition(work)

    def test_workflow(self, request: WorkflowTestRequest) -> Workflow:
        request = request if isinstance(request, WorkflowTestRequest) else WorkflowTestRequest.from_dict(request)
        return testing.test_workflow(self, validation.start_request(request))
