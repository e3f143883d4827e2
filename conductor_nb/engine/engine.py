"""The engine's shell: receives ConductorAPI calls, loads state, asks the decider, commits, and wakes waiters.

One lock serialises state transitions inside a process and each API call is one SQLite transaction, including
everything it sets off (a child workflow ending resumes its parent in the same commit). Running workflows stay
in memory between calls (checked against the row's `rev`, so another process's writes are seen), which keeps a
transition's cost flat however long the workflow. Workers in a long poll and callers in a sync execute sleep on
condition variables and are woken the moment their task is queued or their workflow moves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from typing import Callable, Optional

from ..errors import BadRequestError, ConflictError, NotFoundError, ServerError, bad_request
from ..models import (
    PollData,
    SearchResult,
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
from . import decider, search, summaries, timeouts, validation
from ..clock import SystemClock
from .definitions import DefinitionIndex
from .state import ENDED, PENDING, WorkflowState
from .store import Store
from .system_tasks import SYSTEM_QUEUE, SystemTaskRunner
from .operations import Operations
from .timers import TimeoutChecks, TimerThread
from .tasks import REGISTRY, kind_of
from .tasks.sub_workflow import TASK_STATUS_OF_CHILD
from .tasks.wait import Wait

RETURN_STRATEGIES = ("TARGET_WORKFLOW", "BLOCKING_WORKFLOW", "BLOCKING_TASK", "BLOCKING_TASK_INPUT")
SIGNAL_TIMEOUT_MS = 5000  # how long a sync signal waits for the workflow to end or block again (Conductor's default)

log = logging.getLogger("conductor_nb.engine")

MAX_POLL_TIMEOUT_MS = 5000
DOMAIN_POLL_WINDOW_MS = 10_000  # a domain counts as served when one of its workers polled this recently
LIMIT_RETRY_MS = 100  # a task held back by a concurrency or rate limit is offered again this much later
POLL_RECORD_INTERVAL_MS = 1000
MAX_CACHED_WORKFLOWS = 10_000
MAX_CACHED_FINISHED = 256  # a sync execute, a notebook or a worker reads a workflow just as it ends


def queue_name(task_type: str, domain: Optional[str]) -> str:
    return f"{domain}:{task_type}" if domain else task_type


class Transition:
    """What one API call changed, saved in one SQLite transaction when the call's work is done."""

    def __init__(self):
        self.dirty: dict[str, WorkflowState] = {}
        self.workflows_changed: set[str] = set()  # dirty workflows whose own row changed, not just their tasks
        self.changed: dict[str, dict[str, Task]] = {}
        self.removed: set[str] = set()
        self.queued: set[str] = set()
        self.earliest_timer: Optional[int] = None  # the earliest timer this transition set
        self.followups: deque[Callable[[], None]] = deque()
        self.saved: dict[str, str] = {}  # task id -> the JSON written for it
        self.unqueued: set[str] = set()  # ended tasks known to have no queue row left
        # update-v2: the queue its worker takes from next, and the first task scheduled there in this transaction,
        # held back from the queue table so that taking it costs no queue row (see Engine._take)
        self.handover_queue: Optional[str] = None
        self.handover: Optional[Task] = None

    def copy(self, task: Task) -> Task:
        """A copy of a task written by this transaction, for the caller to keep (read back from its JSON)."""
        return Task.from_dict(json.loads(self.saved[task.task_id]))

    def timer_at(self, due: Optional[int]) -> None:
        """Note a timer set by this transition, for waking the timer thread if it is the earliest."""
        if due is not None and (self.earliest_timer is None or due < self.earliest_timer):
            self.earliest_timer = due

    def mark(self, state: WorkflowState, tasks=(), workflow_changed: bool = True) -> None:
        """Note tasks (and the workflow itself, unless only its tasks changed, as a poll changes them) to save."""
        wf_id = state.workflow.workflow_id
        self.dirty[wf_id] = state
        if workflow_changed:
            self.workflows_changed.add(wf_id)
        changed = self.changed.setdefault(wf_id, {})
        for task in tasks:
            changed[task.task_id] = task


class _Services:
    """What the decider may ask of the engine during one transition."""

    def __init__(self, engine: Engine, tx: Transition):
        self._engine = engine
        self._tx = tx

    def task_def(self, name: str) -> Optional[TaskDef]:
        return self._engine._task_def(name)

    def start_child(self, ctx, task: Task, request: StartWorkflowRequest) -> str:
        return self._engine._start(self._tx, request, parent=(ctx.workflow, task))

    def start_workflow(self, request: StartWorkflowRequest) -> str:
        return self._engine._start(self._tx, request)

    def cancel_child(self, child_workflow_id: str, reason: str) -> None:
        self._tx.followups.append(lambda: self._engine._terminate(self._tx, child_workflow_id, reason))


class Engine(Operations, TimeoutChecks):
    """An embedded Conductor server: the ConductorAPI protocol over a SQLite file (or `":memory:"`)."""

    def __init__(self, db_path: str = ":memory:", clock=None, system_threads: int = 4):
        self._store = Store(db_path)
        self._clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._queue_ready: dict[str, threading.Condition] = {}
        self._pollers_waiting: dict[str, int] = {}  # queue -> polls waiting on its condition (see _wake)
        self._workflow_moved = threading.Condition(self._lock)
        self._sync_waiters = 0  # sync executes waiting (see _wake)
        self._waiting_for_tasks: dict[str, int] = {}  # workflow id -> those of them waiting for a task to end
        self._indexes: dict[str, DefinitionIndex] = {}
        self._states: dict[str, WorkflowState] = {}  # unfinished workflows, up to MAX_CACHED_WORKFLOWS
        self._finished: dict[str, WorkflowState] = {}  # the latest to end, up to MAX_CACHED_FINISHED
        # What memory knows of the database, trusted while no other connection has committed (see _vouch):
        self._epoch = 0  # a cached WorkflowState of an older epoch is checked against its row's rev
        self._db_seen: Optional[tuple[int, int]] = None  # (data_version, rollbacks) at the last check
        self._vouched_in: Optional[int] = None  # the store transaction already checked
        self._armed: dict[str, int] = {}  # the timer table (the workflows' timers): key -> due
        self._owner: dict[str, str] = {}  # pending task id -> its workflow id
        self._started: dict[tuple, tuple[str, DefinitionIndex]] = {}  # (name, version) -> what a start runs
        self._task_defs: dict[str, Optional[TaskDef]] = {}
        self._last_poll_record: dict[tuple[str, str], int] = {}
        self._polled_at: dict[str, int] = {}  # queue -> last poll, for choosing task domains
        self._dequeued: dict[str, deque[int]] = {}  # task type -> recent dequeue times, for rate limits
        self._closed = False
        self._system = SystemTaskRunner(self, system_threads)
        self._timers = TimerThread(self)
        self._clock.subscribe(self._clock_moved)
        self._requeue_background_tasks()
        if self._store.next_timer() is not None:
            self._timers.poke()

    @property
    def db_path(self) -> str:
        return self._store.path

    def close(self) -> None:
        """Wake every waiter, stop the system-task threads and close the database."""
        with self._lock:
            self._closed = True
            for cv in self._queue_ready.values():
                cv.notify_all()
            self._workflow_moved.notify_all()
        self._system.stop()
        self._timers.stop()
        with self._lock:
            self._store.close()

    # ----------------------------------------------------------------------------------------------- metadata
    def register_workflow_def(self, workflow_def: WorkflowDef, overwrite: bool = False) -> None:
        self._put_workflow_defs([workflow_def], overwrite)

    def update_workflow_defs(self, workflow_defs: list[WorkflowDef]) -> None:
        self._put_workflow_defs(workflow_defs, overwrite=True)

    def _put_workflow_defs(self, workflow_defs: list[WorkflowDef], overwrite: bool) -> None:
        with self._lock, self._store.transaction():
            exists = lambda name: self._task_def(name) is not None  # noqa: E731
            prepared = [validation.workflow_def(d, self._clock.now(), task_def_exists=exists) for d in workflow_defs]
            self._started.clear()
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
            self._started.clear()
            if not self._store.delete_workflow_def(name, version):
                raise NotFoundError(f"No such workflow found by name: {name}, version: {version}")

    def register_task_defs(self, task_defs: list[TaskDef]) -> None:
        prepared = [validation.task_def(d, self._clock.now(), f"[{i}]") for i, d in enumerate(task_defs)]
        with self._lock, self._store.transaction():
            for d in prepared:
                self._store.put_task_def(d.name, d.to_dict())
                self._task_defs.pop(d.name, None)

    def update_task_def(self, task_def: TaskDef) -> None:
        prepared = validation.task_def(task_def, self._clock.now())
        with self._lock, self._store.transaction():
            if self._store.get_task_def(prepared.name) is None:
                raise NotFoundError(f"No such taskType found by name: {prepared.name}")
            self._store.put_task_def(prepared.name, prepared.to_dict())
            self._task_defs.pop(prepared.name, None)

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
            self._task_defs.pop(name, None)

    # ---------------------------------------------------------------------------------------------- workflows
    def start_workflow(self, request: StartWorkflowRequest) -> str:
        request = validation.start_request(request)
        return self._transition(lambda tx: self._start(tx, request))

    def execute_workflow(self, request: StartWorkflowRequest, request_id: Optional[str] = None,
                         wait_until_task_ref: Optional[str] = None, wait_for_seconds: int = 10) -> WorkflowRun:
        workflow_id = self.start_workflow(request)
        return self._wait(workflow_id, request_id, wait_until_task_ref, wait_for_seconds)

    def _wait(self, workflow_id: str, request_id: Optional[str], wait_until_task_ref: Optional[str],
              wait_for_seconds: Optional[float]) -> WorkflowRun:
        """Wait until the workflow ends, a task of `wait_until_task_ref` ends, or it blocks on a signal."""
        targets = {r.strip() for r in (wait_until_task_ref or "").split(",") if r.strip()}
        with self._lock:  # held from the last look at the state to the answer built from it
            state, timed_out = self._await_sync_end(workflow_id, targets, wait_for_seconds)
            return _workflow_run(state.workflow, request_id or str(uuid.uuid4()), timed_out)

    def _await_sync_end(self, workflow_id: str, targets: set[str],
                        wait_for_seconds: Optional[float]) -> tuple[WorkflowState, bool]:
        """Wait (up to `wait_for_seconds`, default 10) until _sync_execute_done: the state then, and whether the
        time ran out first."""
        deadline = time.monotonic() + (wait_for_seconds if wait_for_seconds is not None else 10)
        with self._lock:
            self._sync_waiters += 1
            if targets:
                self._waiting_for_tasks[workflow_id] = self._waiting_for_tasks.get(workflow_id, 0) + 1
            try:
                while True:
                    state = self._state(workflow_id)
                    if self._sync_execute_done(state, targets):
                        return state, False
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._closed:
                        return state, True
                    self._workflow_moved.wait(remaining)
            finally:
                self._sync_waiters -= 1
                if targets:
                    self._waiting_for_tasks[workflow_id] -= 1
                    if not self._waiting_for_tasks[workflow_id]:
                        del self._waiting_for_tasks[workflow_id]

    def get_workflow(self, workflow_id: str, include_tasks: bool = True) -> Workflow:
        with self._lock:
            data = self._state(workflow_id).workflow.to_dict()
        if not include_tasks:
            data["tasks"] = []
        return Workflow.from_dict(data)

    def get_workflow_status(self, workflow_id: str, include_output: bool = False,
                            include_variables: bool = False) -> WorkflowStatusResponse:
        with self._lock:
            wf = self._state(workflow_id).workflow
            return WorkflowStatusResponse(
                workflow_id=wf.workflow_id, correlation_id=wf.correlation_id, status=wf.status,
                output=dict(wf.output or {}) if include_output else None,
                variables=dict(wf.variables or {}) if include_variables else None,
            )

    def terminate_workflow(self, workflow_id: str, reason: Optional[str] = None,
                           trigger_failure_workflow: bool = False) -> None:
        def terminate(tx: Transition) -> None:
            state = self._state(workflow_id)
            if state.workflow.status == WorkflowStatus.COMPLETED.value:
                raise ConflictError(f"Cannot terminate a COMPLETED workflow: {workflow_id}")
            self._terminate(tx, workflow_id, reason, trigger_failure_workflow)

        self._transition(terminate)

    def _terminate(self, tx: Transition, workflow_id: str, reason: Optional[str],
                   trigger_failure_workflow: bool = False) -> None:
        state = self._state(workflow_id)
        if state.workflow.status in ENDED:
            return
        ctx = self._context(tx, state)
        ctx.end(WorkflowStatus.TERMINATED.value, reason)
        ctx.failure_workflow_due = trigger_failure_workflow
        self._record(tx, ctx)

    def pause_workflow(self, workflow_id: str) -> None:
        def pause(tx: Transition) -> None:
            state = self._state(workflow_id)
            wf = state.workflow
            if wf.status in ENDED:
                raise ConflictError(
                    f"Workflow: {workflow_id} has ended, status cannot be updated. Current status: {wf.status}")
            if wf.status != WorkflowStatus.PAUSED.value:
                wf.status = WorkflowStatus.PAUSED.value
                tx.mark(state)

        self._transition(pause)

    def resume_workflow(self, workflow_id: str) -> None:
        def resume(tx: Transition) -> None:
            state = self._state(workflow_id)
            wf = state.workflow
            if wf.status != WorkflowStatus.PAUSED.value:
                raise ServerError(
                    f"The workflow {workflow_id} is not PAUSED so cannot resume. Current status is {wf.status}")
            wf.status = WorkflowStatus.RUNNING.value
            unfollowed = [t for t in wf.tasks if not t.executed and t.status not in PENDING]
            self._decide(tx, state, unfollowed)

        self._transition(resume)

    def get_running_workflows(self, name: str, version: Optional[int] = None, start_time: Optional[int] = None,
                              end_time: Optional[int] = None) -> list[str]:
        with self._lock:
            return self._store.workflow_ids(name, version if version is not None else 1,
                                            WorkflowStatus.RUNNING.value, start_time=start_time, end_time=end_time)

    def get_workflows_by_correlation_id(self, name: str, correlation_id: str, include_closed: bool = False,
                                        include_tasks: bool = False) -> list[Workflow]:
        with self._lock:
            ids = self._store.workflow_ids(name, correlation_id=correlation_id)
            found = [self.get_workflow(i, include_tasks) for i in ids]
        return [w for w in found if include_closed or w.status not in ENDED]

    def get_workflows_by_correlation_ids(self, name: str, correlation_ids: list[str], include_closed: bool = False,
                                         include_tasks: bool = False) -> dict[str, list[Workflow]]:
        return {c: self.get_workflows_by_correlation_id(name, c, include_closed, include_tasks)
                for c in correlation_ids}

    def delete_workflow(self, workflow_id: str, archive_workflow: bool = True) -> None:
        """Remove an execution. Conductor archives it first by default, which it refuses for one not yet ended."""
        with self._lock, self._store.transaction():
            if archive_workflow:
                try:
                    status = self._state(workflow_id).workflow.status
                except NotFoundError:
                    status = None  # the removal below says so
                if status is not None and status not in ENDED:
                    raise BadRequestError(f"Cannot archive workflow: {workflow_id} with status: {status}")
            if not self._store.delete_workflow(workflow_id):
                raise NotFoundError(f"Workflow with id: {workflow_id} not found.")
            self._forget(workflow_id)

    def search_workflows(self, start: int = 0, size: int = 100, sort: Optional[str] = None, free_text: str = "*",
                         query: Optional[str] = None) -> SearchResult:
        return self._search(search.WORKFLOW_SEARCH, summaries.workflow_summary, start, size, sort, free_text, query)

    def search_tasks(self, start: int = 0, size: int = 100, sort: Optional[str] = None, free_text: str = "*",
                     query: Optional[str] = None) -> SearchResult:
        return self._search(search.TASK_SEARCH, summaries.task_summary, start, size, sort, free_text, query)

    def _search(self, spec, summarise, start, size, sort, free_text, query) -> SearchResult:
        try:
            count_sql, count_params, page_sql, page_params = search.compile_search(
                spec, query, free_text, sort, start, size)
        except search.SearchQueryError as e:
            raise bad_request(e.param, str(e).split(": ", 1)[1], query if e.param == "query" else None) from None
        with self._lock:
            total = self._store.count(count_sql, count_params)
            rows = self._store.json_rows(page_sql, page_params) if size else []
        return SearchResult(total_hits=total, results=[summarise(row) for row in rows])

    # -------------------------------------------------------------------------------------------------- tasks
    def poll_task(self, task_type: str, worker_id: Optional[str] = None,
                  domain: Optional[str] = None) -> Optional[Task]:
        tasks = self.batch_poll_tasks(task_type, worker_id, count=1, timeout_ms=0, domain=domain)
        return tasks[0] if tasks else None

    def batch_poll_tasks(self, task_type: str, worker_id: Optional[str] = None, count: int = 1,
                         timeout_ms: int = 100, domain: Optional[str] = None) -> list[Task]:
        if not task_type or task_type.startswith("#"):
            raise bad_request("taskType", "must be a task type name (not empty, not starting with '#')", task_type)
        if count is None or count < 1:
            raise bad_request("count", "must be at least 1", count)
        if timeout_ms is None or not 0 <= timeout_ms <= MAX_POLL_TIMEOUT_MS:
            raise bad_request("timeout", f"must be between 0 and {MAX_POLL_TIMEOUT_MS} ms", timeout_ms)
        return self._poll(queue_name(task_type, domain), domain, worker_id, count, timeout_ms)

    def _poll(self, queue: str, domain: Optional[str], worker_id: Optional[str], count: int,
              timeout_ms: int) -> list[Task]:
        """Take up to `count` tasks from a queue, waiting up to `timeout_ms` for the first one."""
        deadline = time.monotonic() + timeout_ms / 1000
        with self._lock:
            ready = self._queue_ready.setdefault(queue, threading.Condition(self._lock))
            while True:
                now = self._clock.now()
                next_visible = self._store.next_visible_at(queue)
                tx, tasks = Transition(), []
                if (next_visible is not None and next_visible <= now) or self._poll_record_due(queue, worker_id, now):
                    tasks = self._transition(lambda tx: self._take(tx, queue, domain, worker_id, count), tx)
                    next_visible = self._store.next_visible_at(queue)
                else:
                    self._polled_at[queue] = now  # nothing to take: no transaction
                remaining = deadline - time.monotonic()
                if tasks or remaining <= 0 or self._closed:
                    return [tx.copy(t) for t in tasks]
                if next_visible is not None:
                    remaining = min(remaining, max(0.001, (next_visible - self._clock.now()) / 1000))
                self._pollers_waiting[queue] = self._pollers_waiting.get(queue, 0) + 1
                try:
                    ready.wait(remaining)
                finally:
                    self._pollers_waiting[queue] -= 1

    def _take(self, tx: Transition, queue: str, domain: Optional[str], worker_id: Optional[str],
              count: int) -> list[Task]:
        now = self._clock.now()
        self._record_poll(queue, domain, worker_id, now)
        first = []
        if tx.handover is not None and queue == tx.handover_queue:
            handover, tx.handover = tx.handover, None
            waiting = self._store.top_visible_priority(queue, now)
            if waiting is not None and waiting >= (handover.workflow_priority or 0):
                self._push(tx, handover)  # an older task of this priority or a higher one goes first
            else:
                first = [handover.task_id]
        taken = []
        for task_id in first + (self._store.pop(queue, now, count - len(first)) if count > len(first) else []):
            task = self._task(task_id)
            if task is None or task.status not in PENDING:
                continue  # a stale entry: the task was canceled or completed while queued
            held_until = self._held_by_limits(task, now)
            if held_until is not None:
                self._store.push(queue, task.task_id, held_until, task.workflow_priority or 0)
                continue
            if task.status == TaskStatus.SCHEDULED.value:
                task.status = TaskStatus.IN_PROGRESS.value
                if not task.start_time:  # a task polled again after an IN_PROGRESS update keeps its start
                    task.start_time = now
                    task.queue_wait_time = now - (task.scheduled_time or now)
                task.first_start_time = task.first_start_time or now
                task.callback_after_seconds = 0
                task.worker_id = worker_id
                task.poll_count = (task.poll_count or 0) + 1
            task.update_time = now
            state = self._state(task.workflow_instance_id)
            state.refresh(task)
            tx.mark(state, [task], workflow_changed=False)
            taken.append(task)
        return taken

    def _push(self, tx: Transition, task: Task) -> None:
        """Queue a worker task held back for an update-v2 hand-over that did not happen, visible now."""
        queue = queue_name(task.task_type, task.domain)
        self._store.push(queue, task.task_id, self._clock.now(), task.workflow_priority or 0)
        tx.queued.add(queue)

    def _held_by_limits(self, task: Task, now: int) -> Optional[int]:
        """When a worker task may be offered again if its concurrentExecLimit or rate limit holds it back now."""
        if not kind_of(task.workflow_task.type).polled_by_workers:
            return None
        td = decider.effective_task_def(task.workflow_task, self._task_def)
        if td.concurrent_exec_limit and self._store.in_progress_count(task.task_type) >= td.concurrent_exec_limit:
            return now + LIMIT_RETRY_MS
        if td.rate_limit_per_frequency:
            window = (td.rate_limit_frequency_in_seconds or 1) * 1000
            recent = self._dequeued.setdefault(task.task_type, deque())
            while recent and recent[0] <= now - window:
                recent.popleft()
            if len(recent) >= td.rate_limit_per_frequency:
                return recent[0] + window
            recent.append(now)
        return None

    def _record_poll(self, queue: str, domain: Optional[str], worker_id: Optional[str], now: int) -> None:
        self._polled_at[queue] = now
        if self._poll_record_due(queue, worker_id, now):
            self._last_poll_record[(queue, worker_id or "")] = now
            self._store.record_poll(queue, domain or "", worker_id, now)

    def _poll_record_due(self, queue: str, worker_id: Optional[str], now: int) -> bool:
        """Whether this poll must be written to poll_data (at most once a second per queue and worker)."""
        return now - self._last_poll_record.get((queue, worker_id or ""), 0) >= POLL_RECORD_INTERVAL_MS

    def update_task(self, result: TaskResult) -> str:
        result = validation.task_result(result)
        return self._transition(lambda tx: self._update(tx, result))

    def _update(self, tx: Transition, result: TaskResult) -> str:
        task = self._task(result.task_id)
        if task is None:
            raise NotFoundError(f"No such task found by id: {result.task_id}")
        state = self._state(task.workflow_instance_id)
        if task.status not in PENDING or state.workflow.status in ENDED:
            return task.task_id  # Conductor ignores updates to finished tasks and workflows
        now = self._clock.now()
        # a worker task polled (IN_PROGRESS) has left its queue; any other pending task may still have a queue row
        queued = task.status == TaskStatus.SCHEDULED.value or not kind_of(task.workflow_task.type).polled_by_workers
        task.output_data = result.output_data if result.output_data is not None else {}
        task.reason_for_incompletion = result.reason_for_incompletion
        task.worker_id = result.worker_id or task.worker_id
        task.callback_after_seconds = result.callback_after_seconds or 0
        task.update_time = now
        task.sub_workflow_id = result.sub_workflow_id or task.sub_workflow_id
        for log in result.logs or []:
            self._store.add_log(task.task_id, log.created_time or now, log.log or "")
        if result.status == TaskResultStatus.IN_PROGRESS.value:
            if kind_of(task.workflow_task.type).polled_by_workers:
                task.status = TaskStatus.SCHEDULED.value  # back to its queue after callbackAfterSeconds
                self._store.push(queue_name(task.task_type, task.domain), task.task_id,
                                 now + task.callback_after_seconds * 1000, task.workflow_priority or 0)
                tx.queued.add(queue_name(task.task_type, task.domain))
            else:
                task.status = TaskStatus.IN_PROGRESS.value  # a system task completed later (asyncComplete)
        else:
            if result.status in (TaskStatus.FAILED.value, TaskStatus.FAILED_WITH_TERMINAL_ERROR.value):
                wf = state.workflow  # Conductor records every failure, even one a retry later makes good
                wf.failed_reference_task_names = sorted({*(wf.failed_reference_task_names or []),
                                                         task.reference_task_name})
                wf.failed_task_names = sorted({*(wf.failed_task_names or []), task.task_def_name})
            task.status = result.status
            task.end_time = now
            if queued:
                self._store.unqueue(task.task_id)
            tx.unqueued.add(task.task_id)
        self._decide(tx, state, [task])
        return task.task_id

    def update_task_by_ref_name(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                                worker_id: Optional[str] = None) -> str:
        """The updated task's id; "" (Conductor's 200 with no body) when the workflow has no pending task of that
        reference, or there is no such workflow: nothing changes."""
        with self._lock:
            try:
                task = self._latest_pending_by_ref(self._state(workflow_id), task_ref_name)
            except NotFoundError:
                return ""
            return "" if task is None else self._update_by_ref(task, status, output, worker_id)

    def _update_by_ref(self, task: Task, status: str, output: dict, worker_id: Optional[str]) -> str:
        return self.update_task(TaskResult(
            workflow_instance_id=task.workflow_instance_id, task_id=task.task_id, status=status, output_data=output,
            worker_id=worker_id,
        ))

    def _pending_task_by_ref(self, workflow_id: str, task_ref_name: str) -> Task:
        task = self._latest_pending_by_ref(self._state(workflow_id), task_ref_name)
        if task is None:
            raise NotFoundError(f"No pending task {task_ref_name} found in workflow: {workflow_id}")
        return task

    @staticmethod
    def _latest_pending_by_ref(state: WorkflowState, task_ref_name: str) -> Optional[Task]:
        for task in reversed(state.workflow.tasks):
            if task.status in PENDING and _ref_matches(task, task_ref_name):
                return task
        return None

    def update_task_v2(self, result: TaskResult) -> Optional[Task]:
        """Update a task, then hand the worker the next task of the same type and domain, if one is ready: one
        transaction for both."""
        result = validation.task_result(result)

        def update_and_take(tx: Transition) -> list[Task]:
            task = self._task(result.task_id)
            tx.handover_queue = queue_name(task.task_type, task.domain) if task is not None else None
            self._update(tx, result)
            task = self._task(result.task_id)
            taken = [] if task is None else self._take(
                tx, queue_name(task.task_type, task.domain), task.domain, result.worker_id, 1)
            tx.handover_queue = None
            if tx.handover is not None:  # not taken after all: into the queue like any other
                self._push(tx, tx.handover)
                tx.handover = None
            return taken

        tx = Transition()
        taken = self._transition(update_and_take, tx)
        return tx.copy(taken[0]) if taken else None

    def update_task_by_ref_name_sync(self, workflow_id: str, task_ref_name: str, status: str, output: dict,
                                     worker_id: Optional[str] = None) -> Workflow:
        """The workflow after the update; unlike the plain update, 404 when the reference has no pending task."""
        with self._lock:
            self._update_by_ref(self._pending_task_by_ref(workflow_id, task_ref_name), status, output, worker_id)
        return self.get_workflow(workflow_id)

    def get_queue_sizes(self, task_types: list[str]) -> dict[str, int]:
        with self._lock:
            return {t: self._store.queue_size(t) for t in task_types}

    def get_poll_data(self, task_type: str) -> list[PollData]:
        with self._lock:
            rows = self._store.poll_data(task_type)
        return [PollData(queue_name=q, domain=d or None, worker_id=w, last_poll_time=t) for q, d, w, t in rows]

    def signal_workflow_task(self, workflow_id: str, status: str, output: dict) -> None:
        """Complete the first pending WAIT of the workflow, whatever its kind, searching its sub-workflows too."""
        self._signal(workflow_id, status, output)

    def signal_workflow_task_sync(self, workflow_id: str, status: str, output: dict,
                                  return_strategy: str = "TARGET_WORKFLOW",
                                  timeout_millis: int = SIGNAL_TIMEOUT_MS) -> Optional[WorkflowRun]:
        """Signal as signal_workflow_task, then wait (as a sync execute does) until the workflow ends or blocks
        again, and answer per `return_strategy` (see _signal_response); 404 when there was nothing to signal."""
        if return_strategy not in RETURN_STRATEGIES:
            raise bad_request("returnStrategy", f"must be one of {', '.join(RETURN_STRATEGIES)}", return_strategy)
        if not self._signal(workflow_id, status, output):
            raise NotFoundError(f"Found no blocked task in workflow {workflow_id} to signal")
        with self._lock:
            state, timed_out = self._await_sync_end(workflow_id, set(), max(0, timeout_millis or 0) / 1000)
            return self._signal_response(state, return_strategy, str(uuid.uuid4()), timed_out)

    def _signal(self, workflow_id: str, status: str, output: Optional[dict]) -> bool:
        """Complete the first pending WAIT with `output` merged into its output: whether there was one."""
        with self._lock:
            try:
                task = self._pending_wait(self._state(workflow_id))
            except NotFoundError:
                return False  # Conductor answers a signal for nothing with nothing
            if task is None:
                return False
            self.update_task(TaskResult(workflow_instance_id=task.workflow_instance_id, task_id=task.task_id,
                                        status=status, output_data={**(task.output_data or {}), **(output or {})}))
            return True

    def get_task(self, task_id: str) -> Task:
        with self._lock:
            task = self._task(task_id)
            if task is None:
                raise NotFoundError(f"No such task found by id: {task_id}")
            return Task.from_dict(task.to_dict())

    def add_task_log(self, task_id: str, message: str) -> None:
        with self._lock, self._store.transaction():
            self._store.add_log(task_id, self._clock.now(), message)

    def get_task_logs(self, task_id: str) -> list[TaskExecLog]:
        with self._lock:
            rows = self._store.task_logs(task_id)
        return [TaskExecLog(log=log, task_id=task_id, created_time=created) for log, created in rows]

    # ------------------------------------------------------------------------------------ transitions (shell)
    def _transition(self, work: Callable[[Transition], object], tx: Optional[Transition] = None):
        """Run `work` and everything it sets off as one SQLite transaction; then wake whoever waits on it."""
        with self._lock:
            tx = tx or Transition()
            try:
                with self._store.transaction():
                    result = work(tx)
                    while tx.followups:
                        tx.followups.popleft()()
                    self._flush(tx)
            except BaseException:
                for workflow_id in tx.dirty:  # memory may be ahead of the rolled-back database
                    self._forget(workflow_id)
                raise
            self._wake(tx)
            return result

    def _flush(self, tx: Transition) -> None:
        if tx.removed:
            self._store.delete_tasks(sorted(tx.removed))
        for workflow_id, state in tx.dirty.items():
            wf = state.workflow
            state.rev += 1
            row = _workflow_json(wf) if workflow_id in tx.workflows_changed else state.row
            changed = row != state.row
            if changed:
                now = self._clock.now()
                wf.update_time = row["updateTime"] = now
                self._store.put_workflow(
                    {"workflow_id": workflow_id, "name": wf.workflow_name, "version": wf.workflow_version,
                     "status": wf.status, "correlation_id": wf.correlation_id,
                     "parent_workflow_id": wf.parent_workflow_id, "create_time": wf.create_time,
                     "update_time": now, "end_time": wf.end_time or None, "def_key": state.def_key,
                     "rev": state.rev},
                    row,
                )
                state.row = row
            else:  # only its tasks changed (a poll, a branch the JOIN still waits on): other processes must reload it
                self._store.set_workflow_rev(workflow_id, state.rev)
            for task in tx.changed.get(workflow_id, {}).values():
                if task.task_id in tx.removed:
                    self._owner.pop(task.task_id, None)
                    continue
                tx.saved[task.task_id] = text = task.to_json()
                due = None
                if task.status in PENDING:
                    self._owner[task.task_id] = workflow_id
                    due = self._task_deadline(task, self._clock.now())  # when its timeouts are checked next
                    tx.timer_at(due)
                else:
                    self._owner.pop(task.task_id, None)
                self._store.put_task(task.task_id, workflow_id, task.seq, task.reference_task_name,
                                     task.task_type, task.status, text, due)
            if changed:
                running = wf.status == WorkflowStatus.RUNNING.value
                due = timeouts.workflow_deadline(wf, state.definition, now) if running else None
                self._set_timer(tx, f"workflow:{workflow_id}", workflow_id, due)
            self._cache(state)

    def _clock_moved(self) -> None:
        """A fake clock jumped: wake every poller and waiter, and the timers."""
        with self._lock:
            for cv in self._queue_ready.values():
                cv.notify_all()
            self._workflow_moved.notify_all()
        self._timers.poke()

    def _wake(self, tx: Transition) -> None:
        for queue in tx.queued:
            if self._pollers_waiting.get(queue):
                self._queue_ready[queue].notify_all()
        if self._sync_waiters and any(self._may_end_a_wait(tx, wf_id, state) for wf_id, state in tx.dirty.items()):
            self._workflow_moved.notify_all()
        if SYSTEM_QUEUE in tx.queued:
            self._system.ensure_started()
        if tx.earliest_timer is not None:
            self._timers.poke(tx.earliest_timer)

    def _may_end_a_wait(self, tx: Transition, workflow_id: str, state: WorkflowState) -> bool:
        """Whether this change may be what a sync execute waits for (see _sync_execute_done): the workflow ended,
        a task of a workflow someone waits on by reference changed, or a WAIT (maybe in a sub-workflow) moved."""
        return (state.workflow.status in ENDED or workflow_id in self._waiting_for_tasks
                or any(task.task_type == Wait.type_name for task in tx.changed.get(workflow_id, {}).values()))

    def _context(self, tx: Transition, state: WorkflowState) -> decider.Context:
        return decider.Context(state, self._clock.now(), _Services(self, tx))

    def _decide(self, tx: Transition, state: WorkflowState, touched: list[Task]) -> None:
        ctx = self._context(tx, state)
        decider.decide(ctx, touched)
        self._record(tx, ctx)

    def _record(self, tx: Transition, ctx: decider.Context) -> None:
        """Note what a decider pass changed, queue the new tasks, and act on the workflow's end."""
        state = ctx.state
        tx.mark(state, ctx.changed.values())
        tx.removed |= ctx.removed
        for task in ctx.scheduled:
            if task.status not in PENDING or task.task_id in ctx.removed:
                continue
            self._owner[task.task_id] = state.workflow.workflow_id  # findable before the flush writes it
            kind = kind_of(task.workflow_task.type)
            if kind.polled_by_workers:
                task.domain = self._domain_for(state.workflow.task_to_domain, task.task_type, ctx.now)
                queue = queue_name(task.task_type, task.domain)
                delay = (task.callback_after_seconds or 0) + (task.start_delay_in_seconds or 0)
                if queue == tx.handover_queue and tx.handover is None and not delay:
                    tx.handover = task
                else:
                    self._store.push(queue, task.task_id, ctx.now + delay * 1000, task.workflow_priority or 0)
                    tx.queued.add(queue)
            elif kind.runs_in_background:
                at = kind.background_at(task)
                if at is not None:
                    self._store.push(SYSTEM_QUEUE, task.task_id, at, task.workflow_priority or 0)
                    tx.queued.add(SYSTEM_QUEUE)
        if ctx.ended:
            for task in ctx.changed.values():
                if task.status not in PENDING and task.task_id not in tx.unqueued:
                    self._store.unqueue(task.task_id)
            self._on_end(tx, state, ctx.failure_workflow_due)

    def _domain_for(self, task_to_domain: Optional[dict], task_type: str, now: int) -> Optional[str]:
        """taskToDomain: the first listed domain polled in the last 10 s, else the last one; NO_DOMAIN: none."""
        spec = (task_to_domain or {}).get(task_type) or (task_to_domain or {}).get("*")
        if not spec:
            return None
        domains = [d.strip() for d in str(spec).split(",") if d.strip()]
        for domain in domains:
            if domain == "NO_DOMAIN":
                return None
            if now - self._polled_at.get(queue_name(task_type, domain), -DOMAIN_POLL_WINDOW_MS) \
                    < DOMAIN_POLL_WINDOW_MS:
                return domain
        return None if not domains or domains[-1] == "NO_DOMAIN" else domains[-1]

    def _on_end(self, tx: Transition, state: WorkflowState, start_failure_workflow: bool) -> None:
        wf = state.workflow
        definition = state.definition
        if start_failure_workflow and definition.failure_workflow:
            self._start_failure_workflow(tx, state)
        if wf.parent_workflow_id:
            parent_id, parent_task_id = wf.parent_workflow_id, wf.parent_workflow_task_id
            tx.followups.append(lambda: self._child_ended(tx, parent_id, parent_task_id, wf))

    def _start_failure_workflow(self, tx: Transition, state: WorkflowState) -> None:
        wf = state.workflow
        name = state.definition.failure_workflow
        if name.startswith("${"):
            name = self._context(tx, state).resolve(name)
        failed_task = next((t for t in reversed(wf.tasks) if t.task_type == "TERMINATE" or t.status in (
            TaskStatus.FAILED.value, TaskStatus.FAILED_WITH_TERMINAL_ERROR.value, TaskStatus.TIMED_OUT.value)), None)
        request_input = {**(wf.input or {}), "workflowId": wf.workflow_id, "reason": wf.reason_for_incompletion,
                         "failureStatus": wf.status, "failedWorkflow": wf.to_dict()}
        if failed_task is not None:
            request_input["failureTaskId"] = failed_task.task_id
        try:
            failure_id = self._start(tx, StartWorkflowRequest(
                name=name, version=state.definition.failure_workflow_version, input=request_input,
                correlation_id=wf.correlation_id, task_to_domain=wf.task_to_domain))
        except NotFoundError:
            return  # Conductor logs and carries on when the failure workflow does not exist
        wf.output = {**(wf.output or {}), "conductor.failure_workflow": failure_id}

    def _child_ended(self, tx: Transition, parent_id: str, parent_task_id: str, child: Workflow) -> None:
        """A SUB_WORKFLOW's child reached a terminal status: finish the parent's task and decide the parent."""
        try:
            state = self._state(parent_id)
        except NotFoundError:
            return
        task = state.by_id.get(parent_task_id)
        if task is None or task.status not in PENDING or task.sub_workflow_id != child.workflow_id:
            return
        task.status = TASK_STATUS_OF_CHILD.get(child.status, TaskStatus.FAILED.value)
        task.output_data = {**(child.output or {}), "subWorkflowId": child.workflow_id}
        if child.status != WorkflowStatus.COMPLETED.value:  # as Conductor's SubWorkflow task words it
            task.reason_for_incompletion = (f"Sub workflow {child.workflow_name}.{child.workflow_version}/"
                                            f"{child.workflow_id} failure reason: {child.reason_for_incompletion}")
        task.end_time = task.update_time = self._clock.now()
        if state.workflow.status in ENDED:
            tx.mark(state, [task])
        else:
            self._decide(tx, state, [task])

    def _start(self, tx: Transition, request: StartWorkflowRequest,
               parent: Optional[tuple[Workflow, Task]] = None) -> str:
        def_key, index = self._definition_for(request)
        definition = index.definition
        if request.idempotency_key:
            existing = self._store.workflow_by_idempotency_key(definition.name, request.idempotency_key)
            if existing is not None:
                strategy = request.idempotency_strategy or "FAIL"
                if strategy == "RETURN_EXISTING":
                    return existing[0]
                if strategy == "FAIL" or existing[1] not in ENDED:
                    raise ConflictError(f"Workflow {definition.name} with idempotencyKey {request.idempotency_key} "
                                        f"already exists: {existing[0]} ({existing[1]})")
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
        if parent is not None:
            wf.parent_workflow_id, wf.parent_workflow_task_id = parent[0].workflow_id, parent[1].task_id
        state = WorkflowState(wf, index, def_key)
        state.epoch = self._epoch
        self._cache(state)
        self._decide(tx, state, [])
        return wf.workflow_id

    def _definition_for(self, request: StartWorkflowRequest) -> tuple[str, DefinitionIndex]:
        """The key and index of the definition a start runs: inline, or registered (parsed once per content)."""
        if request.workflow_def is not None:
            definition = validation.workflow_def(request.workflow_def, self._clock.now(), "workflowDef.")
            return self._index_for(definition.to_json(), definition)
        self._vouch()
        started = self._started.get((request.name, request.version))
        if started is None:
            text = self._store.workflow_def_text(request.name, request.version)
            if text is None:
                raise NotFoundError(f"No such workflow found by name: {request.name}, version: {request.version}")
            started = self._started[(request.name, request.version)] = self._index_for(text)
        return started

    def _index_for(self, text: str, definition: Optional[WorkflowDef] = None) -> tuple[str, DefinitionIndex]:
        """Store an execution's definition once by content; its key, and its index (parsed once per content)."""
        def_key = hashlib.sha1(text.encode()).hexdigest()
        self._store.put_execution_def(def_key, text)
        index = self._indexes.get(def_key)
        if index is None:
            index = self._indexes[def_key] = DefinitionIndex(definition or WorkflowDef.from_dict(json.loads(text)))
        return def_key, index

    def _vouch(self) -> None:
        """Trust memory as far as the database agrees. If another connection has committed (or a transaction of
        ours rolled back) since the last check, every cached workflow is checked against its row's rev again and
        the timers are read anew. Checked once per transaction, and at every read outside one."""
        if self._store.serial is not None and self._store.serial == self._vouched_in:
            return
        self._vouched_in = self._store.serial
        seen = (self._store.data_version(), self._store.rollbacks)
        if seen != self._db_seen:
            self._db_seen = seen
            self._epoch += 1
            self._armed = self._store.timers()
            self._owner.clear()
            self._started.clear()
            self._task_defs.clear()

    def _set_timer(self, tx: Transition, key: str, workflow_id: str, due: Optional[int]) -> None:
        """Set (a time) or clear (None) a timer, writing only what changes."""
        self._vouch()
        if self._armed.get(key) == due:
            return
        if due is None:
            del self._armed[key]
        else:
            self._armed[key] = due
            tx.timer_at(due)
        self._store.set_timer(key, workflow_id, due)

    def _state(self, workflow_id: str) -> WorkflowState:
        """The workflow in memory, reloaded if another process has written it since."""
        state = self._states.get(workflow_id) or self._finished.get(workflow_id)
        if state is not None and state.rev == 0:
            return state  # started in the transition under way, not written yet
        self._vouch()
        if state is not None and state.epoch == self._epoch:
            return state
        rev = self._store.workflow_rev(workflow_id)
        if rev is None:
            self._forget(workflow_id)
            raise NotFoundError(f"Workflow with id: {workflow_id} not found.")
        if state is not None and state.rev == rev:
            state.epoch = self._epoch
            return state
        def_key, rev, data = self._store.get_workflow(workflow_id)
        index = self._indexes.get(def_key)
        if index is None:
            index = self._indexes[def_key] = DefinitionIndex(
                WorkflowDef.from_dict(self._store.get_execution_def(def_key)))
        wf = Workflow.from_dict(data)
        wf.workflow_definition = index.definition
        wf.tasks = [Task.from_dict(t) for t in self._store.workflow_tasks(workflow_id)]
        state = WorkflowState(wf, index, def_key, rev)
        state.epoch = self._epoch
        self._cache(state)
        return state

    def _cache(self, state: WorkflowState) -> None:
        """Keep the state in memory, with the unfinished workflows or the recently finished ones."""
        workflow_id = state.workflow.workflow_id
        finished = state.workflow.status in ENDED
        keep, other = (self._finished, self._states) if finished else (self._states, self._finished)
        other.pop(workflow_id, None)
        if workflow_id not in keep and len(keep) >= (MAX_CACHED_FINISHED if finished else MAX_CACHED_WORKFLOWS):
            keep.pop(next(iter(keep)))
        keep[workflow_id] = state

    def _forget(self, workflow_id: str) -> None:
        self._states.pop(workflow_id, None)
        self._finished.pop(workflow_id, None)

    def _task(self, task_id: str) -> Optional[Task]:
        self._vouch()
        workflow_id = self._owner.get(task_id) or self._store.workflow_id_of_task(task_id)
        if workflow_id is None:
            return None
        try:
            return self._state(workflow_id).by_id.get(task_id)
        except NotFoundError:  # removed since it was scheduled
            self._owner.pop(task_id, None)
            return None

    def _task_def(self, name: str) -> Optional[TaskDef]:
        if name not in self._task_defs:
            data = self._store.get_task_def(name)
            self._task_defs[name] = TaskDef.from_dict(data) if data else None
        return self._task_defs[name]

    def _sync_execute_done(self, state: WorkflowState, targets: set[str]) -> bool:
        if state.workflow.status in ENDED:
            return True
        if targets and any(_ref_matches(t, ref) and t.status not in PENDING
                           for t in state.workflow.tasks for ref in targets):
            return True
        return self._blocking_wait(state) is not None

    def _blocking_wait(self, state: WorkflowState) -> Optional[tuple[WorkflowState, Task]]:
        """The first WAIT waiting for a signal (no duration, no until) in this workflow or its running
        sub-workflows, with the workflow it is in: what makes a sync execute return early."""
        for task in sorted(state.pending.values(), key=_seq):
            if task.task_type == Wait.type_name and REGISTRY["WAIT"].is_blocking(task):
                return state, task
            if task.task_type == "SUB_WORKFLOW" and task.sub_workflow_id:
                try:
                    found = self._blocking_wait(self._state(task.sub_workflow_id))
                except NotFoundError:
                    continue
                if found is not None:
                    return found
        return None

    def _pending_wait(self, state: WorkflowState) -> Optional[Task]:
        """The WAIT a signal completes, as Conductor finds it: the first unfinished WAIT of any kind (for a signal,
        for a duration or until a date) in this workflow, else the first in its running sub-workflows."""
        pending = sorted(state.pending.values(), key=_seq)
        for task in pending:
            if task.task_type == Wait.type_name:
                return task
        for task in pending:
            if task.task_type == "SUB_WORKFLOW" and task.sub_workflow_id:
                try:
                    found = self._pending_wait(self._state(task.sub_workflow_id))
                except NotFoundError:
                    continue
                if found is not None:
                    return found
        return None

    def _signal_response(self, state: WorkflowState, strategy: str, request_id: str,
                         timed_out: bool) -> Optional[WorkflowRun]:
        """What POST /tasks/{id}/{status}/signal/sync answers (Conductor's NotificationResult.toResponse): the
        signalled workflow, the (sub-)workflow now blocking, or the blocking WAIT as a TaskRun; with nothing
        blocking (ended, or out of time), the signalled workflow, and no task for the task strategies."""
        blocking = None if timed_out else self._blocking_wait(state)
        if blocking is None:
            if strategy in ("BLOCKING_TASK", "BLOCKING_TASK_INPUT"):
                return None
            return _workflow_run(state.workflow, request_id, timed_out, response_type=strategy)
        where, task = blocking
        if strategy == "TARGET_WORKFLOW":
            return _workflow_run(state.workflow, request_id, timed_out, response_type=strategy)
        if strategy == "BLOCKING_WORKFLOW":
            return _workflow_run(where.workflow, request_id, timed_out, target=state.workflow,
                                 response_type=strategy)
        return _task_run(task, state.workflow, request_id, strategy)

    # --------------------------------------------------------------------------------- background system tasks
    def _take_background(self, timeout_ms: int) -> list[Task]:
        """For the system-task threads: the next background task that is due, waiting up to `timeout_ms`."""
        return self._poll(SYSTEM_QUEUE, None, "conductor_nb", 1, timeout_ms)

    def _requeue_background_tasks(self) -> None:
        """After a restart, give every unfinished background task (HTTP, INLINE, WAIT, ...) back to the threads."""
        types = [name for name, kind in REGISTRY.items() if kind.runs_in_background]
        with self._lock, self._store.transaction():
            tasks = [Task.from_dict(t) for t in self._store.pending_tasks_of_types(types)]
            for task in tasks:
                at = kind_of(task.workflow_task.type).background_at(task)
                if at is not None:
                    self._store.push(SYSTEM_QUEUE, task.task_id, at, task.workflow_priority or 0, replace=False)
        if tasks:
            self._system.ensure_started()


def _with_template(given: Optional[dict], template: Optional[dict]) -> dict:
    """The start input with the definition's inputTemplate filling its gaps; as in Conductor, an empty input gets
    no template (differential run D6)."""
    data = dict(given or {})
    if data:
        for key, value in (template or {}).items():
            data.setdefault(key, value)
    return data


def _ref_matches(task: Task, ref: str) -> bool:
    return task.reference_task_name == ref or task.reference_task_name.split("__")[0] == ref


def _workflow_json(wf: Workflow, with_tasks: bool = False) -> dict:
    """The workflow's JSON without its definition (stored apart), and without its tasks unless asked: the row's
    cost does not grow with them."""
    tasks, definition = wf.tasks, wf.workflow_definition
    wf.workflow_definition = None
    if not with_tasks:
        wf.tasks = None
    try:
        return wf.to_dict()
    finally:
        wf.tasks, wf.workflow_definition = tasks, definition


def _workflow_run(wf: Workflow, request_id: str, timed_out: bool, target: Optional[Workflow] = None,
                  response_type: str = "TARGET_WORKFLOW") -> WorkflowRun:
    """Conductor's WorkflowRun of `wf`, answering for `target` (the workflow asked about; `wf` itself unless a
    BLOCKING_WORKFLOW answer shows a sub-workflow)."""
    target = target or wf
    data = _workflow_json(wf, with_tasks=True)  # a WorkflowRun has no definition
    return WorkflowRun(
        response_type=response_type, target_workflow_id=target.workflow_id, target_workflow_status=target.status,
        request_id=request_id, workflow_id=wf.workflow_id, correlation_id=wf.correlation_id,
        input=data.get("input"), output=data.get("output"), signal_timeout=timed_out, priority=wf.priority,
        variables=data.get("variables"), tasks=[Task.from_dict(t) for t in data.get("tasks", [])],
        created_by=wf.created_by, create_time=wf.create_time, status=wf.status, update_time=wf.update_time,
        reason_for_incompletion=wf.reason_for_incompletion,
    )


def _task_run(task: Task, target: Workflow, request_id: str, response_type: str) -> WorkflowRun:
    """Conductor's TaskRun (a SignalResponse, as a WorkflowRun is): the task-only fields ride in `extra`."""
    fields = {
        "responseType": response_type, "targetWorkflowId": target.workflow_id,
        "targetWorkflowStatus": target.status, "requestId": request_id, "taskType": task.task_type,
        "taskId": task.task_id, "referenceTaskName": task.reference_task_name, "retryCount": task.retry_count or 0,
        "taskDefName": task.task_def_name, "retriedTaskId": task.retried_task_id,
        "workflowType": task.workflow_type, "reasonForIncompletion": task.reason_for_incompletion,
        "priority": task.workflow_priority or 0, "workflowId": task.workflow_instance_id,
        "correlationId": task.correlation_id, "status": task.status, "input": task.input_data,
        "output": task.output_data, "createdBy": task.worker_id, "createTime": task.start_time,
        "updateTime": task.update_time, "signalTimeout": False,
    }
    return WorkflowRun.from_dict({key: value for key, value in fields.items() if value is not None})  # NON_NULL


def _seq(task: Task) -> int:
    return task.seq or 0
