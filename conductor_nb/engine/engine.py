"""The engine's shell: receives ConductorAPI calls, loads state, asks the decider, commits, and wakes waiters.

One lock serialises state transitions inside a process; each transition is one SQLite transaction. Workers
waiting in a long poll and callers waiting in a sync execute sleep on condition variables and are woken the
moment their task is queued or their workflow moves: nothing on this path polls on a timer.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from typing import Optional

from ..errors import BadRequestError, ConflictError, NotFoundError, ServerError, bad_request
from ..models import (
    StartWorkflowRequest,
    Task,
    TaskDef,
    TaskExecLog,
    TaskResult,
    TaskResultStatus,
    TaskStatus,
    Workflow,
    WorkflowDef,
    WorkflowRun,
    WorkflowStatus,
    WorkflowStatusResponse,
)
from . import decider, validation
from .clock import SystemClock
from .store import Store, dumps
from .tasks import kind_of

MAX_POLL_TIMEOUT_MS = 5000
POLL_RECORD_INTERVAL_MS = 1000


def queue_name(task_type: str, domain: Optional[str]) -> str:
    return f"{domain}:{task_type}" if domain else task_type


class Engine:
    """An embedded Conductor server: the ConductorAPI protocol over a SQLite file (or `":memory:"`)."""

    def __init__(self, db_path: str = ":memory:", clock=None):
        self._store = Store(db_path)
        self._clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._queue_ready: dict[str, threading.Condition] = {}
        self._workflow_moved = threading.Condition(self._lock)
        self._definitions: dict[str, WorkflowDef] = {}
        self._last_poll_record: dict[tuple[str, str], int] = {}

    @property
    def db_path(self) -> str:
        return self._store.path

    def close(self) -> None:
        """Wake every waiter and close the database."""
        with self._lock:
            for cv in self._queue_ready.values():
                cv.notify_all()
            self._workflow_moved.notify_all()
            self._store.close()

    # ----------------------------------------------------------------------------------------------- metadata
    def register_workflow_def(self, workflow_def: WorkflowDef, overwrite: bool = False) -> None:
        self._put_workflow_defs([workflow_def], overwrite)

    def update_workflow_defs(self, workflow_defs: list[WorkflowDef]) -> None:
        self._put_workflow_defs(workflow_defs, overwrite=True)

    def _put_workflow_defs(self, workflow_defs: list[WorkflowDef], overwrite: bool) -> None:
        prepared = [validation.workflow_def(d, self._clock.now()) for d in workflow_defs]
        with self._lock, self._store.transaction():
            for d in prepared:
                if not overwrite and self._store.get_workflow_def(d.name, d.version) is not None:
                    raise ConflictError(f"Workflow with name: {d.name} and version: {d.version} already exists")
                self._store.put_workflow_def(d.name, d.version, d.to_dict())

    def get_workflow_def(self, name: str, version: Optional[int] = None) -> WorkflowDef:
        with self._lock:
            data = self._store.get_workflow_def(name, version)
        if data is None:
            raise NotFoundError(f"No such workflow found by name: {name}, version: {version}")
        return WorkflowDef.from_dict(data)

    def get_all_workflow_defs(self) -> list[WorkflowDef]:
        with self._lock:
            return [WorkflowDef.from_dict(d) for d in self._store.all_workflow_defs()]

    def unregister_workflow_def(self, name: str, version: int) -> None:
        with self._lock, self._store.transaction():
            if not self._store.delete_workflow_def(name, version):
                raise NotFoundError(f"No such workflow found by name: {name}, version: {version}")

    def register_task_defs(self, task_defs: list[TaskDef]) -> None:
        prepared = [validation.task_def(d, self._clock.now(), f"[{i}]") for i, d in enumerate(task_defs)]
        with self._lock, self._store.transaction():
            for d in prepared:
                self._store.put_task_def(d.name, d.to_dict())

    def update_task_def(self, task_def: TaskDef) -> None:
        prepared = validation.task_def(task_def, self._clock.now())
        with self._lock, self._store.transaction():
            if self._store.get_task_def(prepared.name) is None:
                raise NotFoundError(f"No such taskType found by name: {prepared.name}")
            self._store.put_task_def(prepared.name, prepared.to_dict())

    def get_task_def(self, name: str) -> TaskDef:
        with self._lock:
            data = self._store.get_task_def(name)
        if data is None:
            raise NotFoundError(f"No such taskType found by name: {name}")
        return TaskDef.from_dict(data)

    def get_all_task_defs(self) -> list[TaskDef]:
        with self._lock:
            return [TaskDef.from_dict(d) for d in self._store.all_task_defs()]

    def unregister_task_def(self, name: str) -> None:
        with self._lock, self._store.transaction():
            if not self._store.delete_task_def(name):
                raise NotFoundError(f"No such taskType found by name: {name}")

    # ---------------------------------------------------------------------------------------------- workflows
    def start_workflow(self, request: StartWorkflowRequest) -> str:
        request = validation.start_request(request)
        with self._lock:
            definition = self._definition_for(request)
            now = self._clock.now()
            wf = Workflow(
                workflow_id=str(uuid.uuid4()), status=WorkflowStatus.RUNNING.value,
                input=_with_template(request.input, definition.input_template),
                output={}, correlation_id=request.correlation_id, priority=request.priority or 0,
                task_to_domain=request.task_to_domain or {}, variables=dict(definition.variables or {}),
                create_time=now, update_time=now, start_time=now, end_time=0, last_retried_time=0,
                workflow_name=definition.name, workflow_version=definition.version,
                created_by=request.created_by, idempotency_key=request.idempotency_key,
                failed_reference_task_names=[], failed_task_names=[], tasks=[], history=[],
                workflow_definition=definition,
            )
            with self._store.transaction():
                def_key = self._remember_definition(definition)
                self._decide_and_save(wf, def_key, now, changed=[])
            return wf.workflow_id

    def execute_workflow(self, request: StartWorkflowRequest, request_id: Optional[str] = None,
                         wait_until_task_ref: Optional[str] = None, wait_for_seconds: int = 10) -> WorkflowRun:
        workflow_id = self.start_workflow(request)
        targets = {r.strip() for r in (wait_until_task_ref or "").split(",") if r.strip()}
        deadline = time.monotonic() + (wait_for_seconds if wait_for_seconds is not None else 10)
        with self._lock:
            while True:
                wf = self._load(workflow_id)[0]
                if _sync_execute_done(wf, targets):
                    timed_out = False
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                self._workflow_moved.wait(remaining)
        return _workflow_run(wf, request_id or str(uuid.uuid4()), timed_out)

    def get_workflow(self, workflow_id: str, include_tasks: bool = True) -> Workflow:
        with self._lock:
            wf = self._load(workflow_id)[0]
        if not include_tasks:
            wf.tasks = []
        return wf

    def get_workflow_status(self, workflow_id: str, include_output: bool = False,
                            include_variables: bool = False) -> WorkflowStatusResponse:
        wf = self.get_workflow(workflow_id, include_tasks=False)
        return WorkflowStatusResponse(
            workflow_id=wf.workflow_id, correlation_id=wf.correlation_id, status=wf.status,
            output=wf.output if include_output else None, variables=wf.variables if include_variables else None,
        )

    def terminate_workflow(self, workflow_id: str, reason: Optional[str] = None,
                           trigger_failure_workflow: bool = False) -> None:
        with self._lock, self._store.transaction():
            wf, def_key = self._load(workflow_id)
            if wf.status == WorkflowStatus.COMPLETED.value:
                raise ConflictError(f"Cannot terminate a COMPLETED workflow: {workflow_id}")
            if wf.status == WorkflowStatus.TERMINATED.value:
                return
            now = self._clock.now()
            changed = []
            for task in wf.tasks:
                if task.status in decider.PENDING:
                    task.status = TaskStatus.CANCELED.value
                    task.end_time = now
                    self._store.unqueue(task.task_id)
                    changed.append(task)
            wf.status = WorkflowStatus.TERMINATED.value
            wf.reason_for_incompletion = reason
            wf.end_time = now
            self._save(wf, def_key, now, changed)
            self._notify([], moved=True)

    def pause_workflow(self, workflow_id: str) -> None:
        with self._lock, self._store.transaction():
            wf, def_key = self._load(workflow_id)
            if WorkflowStatus(wf.status).is_terminal:
                raise ConflictError(
                    f"Workflow: {workflow_id} has ended, status cannot be updated. Current status: {wf.status}"
                )
            if wf.status == WorkflowStatus.PAUSED.value:
                return
            wf.status = WorkflowStatus.PAUSED.value
            self._save(wf, def_key, self._clock.now(), [])
            self._notify([], moved=True)

    def resume_workflow(self, workflow_id: str) -> None:
        with self._lock, self._store.transaction():
            wf, def_key = self._load(workflow_id)
            if wf.status != WorkflowStatus.PAUSED.value:
                raise ServerError(
                    f"The workflow {workflow_id} is not PAUSED so cannot resume. Current status is {wf.status}"
                )
            wf.status = WorkflowStatus.RUNNING.value
            self._decide_and_save(wf, def_key, self._clock.now(), changed=[])

    def delete_workflow(self, workflow_id: str, archive_workflow: bool = True) -> None:
        with self._lock, self._store.transaction():
            if not self._store.delete_workflow(workflow_id):
                raise NotFoundError(f"Workflow with id: {workflow_id} not found.")

    # -------------------------------------------------------------------------------------------------- tasks
    def poll_task(self, task_type: str, worker_id: Optional[str] = None,
                  domain: Optional[str] = None) -> Optional[Task]:
        tasks = self.batch_poll_tasks(task_type, worker_id, count=1, timeout_ms=0, domain=domain)
        return tasks[0] if tasks else None

    def batch_poll_tasks(self, task_type: str, worker_id: Optional[str] = None, count: int = 1,
                         timeout_ms: int = 100, domain: Optional[str] = None) -> list[Task]:
        if not task_type:
            raise bad_request("taskType", "must not be empty")
        if count is None or count < 1:
            raise bad_request("count", "must be at least 1", count)
        if timeout_ms is None or not 0 <= timeout_ms <= MAX_POLL_TIMEOUT_MS:
            raise bad_request("timeout", f"must be between 0 and {MAX_POLL_TIMEOUT_MS} ms", timeout_ms)
        queue = queue_name(task_type, domain)
        deadline = time.monotonic() + timeout_ms / 1000
        with self._lock:
            ready = self._queue_ready.setdefault(queue, threading.Condition(self._lock))
            while True:
                tasks = self._take(queue, domain, worker_id, count)
                remaining = deadline - time.monotonic()
                if tasks or remaining <= 0:
                    return tasks
                next_visible = self._store.next_visible_at(queue)
                if next_visible is not None:
                    remaining = min(remaining, max(0.001, (next_visible - self._clock.now()) / 1000))
                ready.wait(remaining)

    def _take(self, queue: str, domain: Optional[str], worker_id: Optional[str], count: int) -> list[Task]:
        now = self._clock.now()
        taken = []
        with self._store.transaction():
            self._record_poll(queue, domain, worker_id, now)
            for task_id in self._store.pop(queue, now, count):
                data = self._store.get_task(task_id)
                if data is None or data["status"] != TaskStatus.SCHEDULED.value:
                    continue  # a stale entry: the task was canceled or completed while queued
                task = Task.from_dict(data)
                task.status = TaskStatus.IN_PROGRESS.value
                task.start_time = now
                task.first_start_time = task.first_start_time or now
                task.update_time = now
                task.worker_id = worker_id
                task.poll_count = (task.poll_count or 0) + 1
                task.queue_wait_time = now - (task.scheduled_time or now)
                self._put_task(task)
                taken.append(task)
        return taken

    def _record_poll(self, queue: str, domain: Optional[str], worker_id: Optional[str], now: int) -> None:
        key = (queue, worker_id or "")
        if now - self._last_poll_record.get(key, 0) >= POLL_RECORD_INTERVAL_MS:
            self._last_poll_record[key] = now
            self._store.record_poll(queue, domain or "", worker_id, now)

    def update_task(self, result: TaskResult) -> str:
        result = validation.task_result(result)
        with self._lock:
            data = self._store.get_task(result.task_id)
            if data is None:
                raise NotFoundError(f"No such task found by id: {result.task_id}")
            with self._store.transaction():
                wf, def_key = self._load(data["workflowInstanceId"])
                task = next(t for t in wf.tasks if t.task_id == result.task_id)
                if TaskStatus(task.status).is_terminal or WorkflowStatus(wf.status).is_terminal:
                    return task.task_id  # Conductor ignores updates to finished tasks and workflows
                now = self._clock.now()
                self._apply_result(task, result, now)
                for log in result.logs or []:
                    self._store.add_log(task.task_id, log.created_time or now, log.log or "")
                self._decide_and_save(wf, def_key, now, changed=[task])
            return task.task_id

    def _apply_result(self, task: Task, result: TaskResult, now: int) -> None:
        task.output_data = result.output_data if result.output_data is not None else {}
        task.reason_for_incompletion = result.reason_for_incompletion
        task.worker_id = result.worker_id or task.worker_id
        task.callback_after_seconds = result.callback_after_seconds or 0
        task.update_time = now
        if result.sub_workflow_id:
            task.sub_workflow_id = result.sub_workflow_id
        if result.status == TaskResultStatus.IN_PROGRESS.value:
            # Back to the queue, visible again after callbackAfterSeconds.
            task.status = TaskStatus.SCHEDULED.value
            self._store.push(queue_name(task.task_type, task.domain), task.task_id,
                             now + task.callback_after_seconds * 1000, task.workflow_priority or 0)
        else:
            task.status = result.status
            task.end_time = now
            self._store.unqueue(task.task_id)

    def update_task_by_ref_name(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                                worker_id: Optional[str] = None) -> str:
        with self._lock:
            wf = self._load(workflow_id)[0]
            pending = [t for t in wf.tasks if t.status in decider.PENDING and _ref_matches(t, task_ref_name)]
            if not pending:
                raise NotFoundError(f"No pending task {task_ref_name} found in workflow: {workflow_id}")
            task = pending[-1]
            return self.update_task(TaskResult(
                workflow_instance_id=workflow_id, task_id=task.task_id, status=status, output_data=output,
                worker_id=worker_id,
            ))

    def get_task(self, task_id: str) -> Task:
        with self._lock:
            data = self._store.get_task(task_id)
        if data is None:
            raise NotFoundError(f"No such task found by id: {task_id}")
        return Task.from_dict(data)

    def add_task_log(self, task_id: str, message: str) -> None:
        with self._lock, self._store.transaction():
            self._store.add_log(task_id, self._clock.now(), message)

    def get_task_logs(self, task_id: str) -> list[TaskExecLog]:
        with self._lock:
            rows = self._store.task_logs(task_id)
        return [TaskExecLog(log=log, task_id=task_id, created_time=created) for log, created in rows]

    # ------------------------------------------------------------------------------------------------- shell
    def _definition_for(self, request: StartWorkflowRequest) -> WorkflowDef:
        if request.workflow_def is not None:
            return validation.workflow_def(request.workflow_def, self._clock.now(), "workflowDef.")
        data = self._store.get_workflow_def(request.name, request.version)
        if data is None:
            raise NotFoundError(f"No such workflow found by name: {request.name}, version: {request.version}")
        return WorkflowDef.from_dict(data)

    def _remember_definition(self, definition: WorkflowDef) -> str:
        """Store an execution's definition once by content; return its key."""
        text = dumps(definition.to_dict())
        def_key = hashlib.sha1(text.encode()).hexdigest()
        self._store.put_execution_def(def_key, text)
        self._definitions.setdefault(def_key, definition)
        return def_key

    def _load(self, workflow_id: str) -> tuple[Workflow, str]:
        found = self._store.get_workflow(workflow_id)
        if found is None:
            raise NotFoundError(f"Workflow with id: {workflow_id} not found.")
        def_key, data = found
        wf = Workflow.from_dict(data)
        definition = self._definitions.get(def_key)
        if definition is None:
            definition = self._definitions[def_key] = WorkflowDef.from_dict(self._store.get_execution_def(def_key))
        wf.workflow_definition = definition
        wf.tasks = [Task.from_dict(t) for t in self._store.workflow_tasks(workflow_id)]
        return wf, def_key

    def _task_def(self, name: str) -> Optional[TaskDef]:
        data = self._store.get_task_def(name)
        return TaskDef.from_dict(data) if data else None

    def _decide_and_save(self, wf: Workflow, def_key: str, now: int, changed: list[Task]) -> None:
        """Run the decider on `wf`, then persist the workflow and every task it touched (caller holds a tx)."""
        scheduler = decider.Scheduler(wf, wf.workflow_definition, self._task_def, now)
        decision = decider.decide(scheduler)
        if decision.ended:
            wf.end_time = now
        to_queue = [t for t in decision.scheduled if kind_of(t.workflow_task.type).polled_by_workers]
        for task in to_queue:
            delay_s = (task.callback_after_seconds or 0) + (task.start_delay_in_seconds or 0)
            self._store.push(queue_name(task.task_type, task.domain), task.task_id, now + delay_s * 1000,
                             task.workflow_priority or 0)
        self._save(wf, def_key, now, [*changed, *decision.changed, *decision.scheduled])
        self._notify(to_queue, decision.ended or bool(changed))

    def _save(self, wf: Workflow, def_key: str, now: int, tasks: list[Task]) -> None:
        wf.update_time = now
        data = wf.to_dict()
        data.pop("tasks", None)
        data.pop("workflowDefinition", None)
        self._store.put_workflow(
            {"workflow_id": wf.workflow_id, "name": wf.workflow_name, "version": wf.workflow_version,
             "status": wf.status, "correlation_id": wf.correlation_id, "parent_workflow_id": wf.parent_workflow_id,
             "create_time": wf.create_time, "update_time": now, "end_time": wf.end_time or None,
             "def_key": def_key},
            data,
        )
        for task in {id(t): t for t in tasks}.values():
            self._put_task(task)

    def _put_task(self, task: Task) -> None:
        self._store.put_task(task.task_id, task.workflow_instance_id, task.seq, task.reference_task_name,
                             task.task_type, task.status, task.to_dict())

    def _notify(self, queued: list[Task], moved: bool) -> None:
        """Wake pollers of the queues that got tasks, and sync-execute waiters (the commit happens first:
        waiters re-acquire the lock only after the caller's transaction has ended)."""
        for task in queued:
            cv = self._queue_ready.get(queue_name(task.task_type, task.domain))
            if cv is not None:
                cv.notify()
        if moved:
            self._workflow_moved.notify_all()


def _with_template(given: Optional[dict], template: Optional[dict]) -> dict:
    data = dict(given or {})
    for key, value in (template or {}).items():
        data.setdefault(key, value)
    return data


def _ref_matches(task: Task, ref: str) -> bool:
    return task.reference_task_name == ref or task.reference_task_name.split("__")[0] == ref


def _sync_execute_done(wf: Workflow, targets: set[str]) -> bool:
    if WorkflowStatus(wf.status).is_terminal:
        return True
    return any(_ref_matches(t, ref) and TaskStatus(t.status).is_terminal for t in wf.tasks for ref in targets)


def _workflow_run(wf: Workflow, request_id: str, timed_out: bool) -> WorkflowRun:
    return WorkflowRun(
        response_type="TARGET_WORKFLOW", target_workflow_id=wf.workflow_id, target_workflow_status=wf.status,
        request_id=request_id, workflow_id=wf.workflow_id, correlation_id=wf.correlation_id, input=wf.input,
        output=wf.output, signal_timeout=timed_out, priority=wf.priority, variables=wf.variables, tasks=wf.tasks,
        created_by=wf.created_by, create_time=wf.create_time, status=wf.status, update_time=wf.update_time,
        reason_for_incompletion=wf.reason_for_incompletion,
    )
