"""Timeouts in the engine: timers armed as tasks and workflows change, a thread that sleeps until the earliest
comes due, and the checks that apply the limits then (a mixin of the Engine)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Optional

from ..errors import NotFoundError
from ..models import Task, TaskStatus, WorkflowStatus
from . import decider, timeouts
from .state import WorkflowState
from .tasks import kind_of

if TYPE_CHECKING:
    from .engine import Engine, Transition

log = logging.getLogger("conductor_nb.engine")

MAX_SLEEP_S = 1.0  # also how soon a closed engine's thread notices


class TimerThread:
    """One daemon thread, started with the first timer; `poke()` wakes it when timers or the clock change."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._poked = False  # a poke arrived while the thread was busy: look again before sleeping
        self._wake_at: Optional[int] = None  # while the thread sleeps: when it looks again (clock ms)

    def poke(self, due: Optional[int] = None) -> None:
        """Look at the timers now; with `due`, only if a timer due then would otherwise be noticed late."""
        with self._cv:
            if due is not None and self._wake_at is not None and due >= self._wake_at:
                return
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="conductor-timers", daemon=True)
                self._thread.start()
            self._poked = True
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(MAX_SLEEP_S + 1)

    def _run(self) -> None:
        while True:
            with self._cv:
                self._poked = False
            try:
                wait_ms = self._engine._fire_due_timers()
            except Exception:  # never let one bad timer stop every other one
                log.exception("checking timers failed")
                wait_ms = MAX_SLEEP_S * 1000
            with self._cv:
                if self._stopped:
                    return
                if not self._poked:
                    sleep_s = MAX_SLEEP_S if wait_ms is None else min(MAX_SLEEP_S, max(0.001, wait_ms / 1000))
                    self._wake_at = self._engine._clock.now() + int(sleep_s * 1000)
                    self._cv.wait(sleep_s)
                    self._wake_at = None
                if self._stopped:
                    return


class TimeoutChecks:
    """Arming timers and applying the limits that have passed, for the Engine."""

    def _task_deadline(self, task: Task, now: int) -> Optional[int]:
        """When the task's next limit passes: a worker task's TaskDef is the registered, embedded or default one;
        a system task has limits only if a TaskDef is embedded or registered under its name (no default)."""
        wt = task.workflow_task
        worker_task = kind_of(wt.type).polled_by_workers
        return timeouts.task_deadline(task, decider.effective_task_def(wt, self._task_def), now, worker_task)

    def _fire_due_timers(self) -> Optional[int]:
        """For the timer thread: check every workflow whose timer came due; return ms until the next timer."""
        with self._lock:
            if self._closed:
                return None
            due = self._store.due_timers(self._clock.now())
            if due:
                self._transition(lambda tx: self._expire(tx, due))
            following = self._store.next_timer()
            return None if following is None else following - self._clock.now()

    def _expire(self, tx: Transition, due: list[tuple[str, str]]) -> None:
        fired: set[str] = set()  # tasks whose timer came due
        for key, workflow_id in due:
            kind, _, key_id = key.partition(":")
            if kind == "task":
                self._store.set_task_due(key_id, None)
                fired.add(key_id)
            else:
                self._set_timer(tx, key, workflow_id, None)
        for workflow_id in dict.fromkeys(workflow_id for _, workflow_id in due):
            try:
                state = self._state(workflow_id)
            except NotFoundError:
                continue
            if state.workflow.status == WorkflowStatus.RUNNING.value:
                self._check_timeouts(tx, state, fired)

    def _check_timeouts(self, tx: Transition, state: WorkflowState, fired: frozenset[str] = frozenset()) -> None:
        """Apply every limit that has passed (the workflow's timeout, its tasks' timeouts) in Conductor's order;
        an ALERT_ONLY one is only logged. A task of `fired` left pending is saved again, with the timer for its
        next limit (the others' timers stand)."""
        ctx = self._context(tx, state)
        wf = state.workflow
        deadline = timeouts.workflow_timeout_due(wf, state.definition)
        if deadline is not None and ctx.now >= deadline:
            reason = timeouts.workflow_timeout_reason(wf, state.definition, ctx.now)
            if timeouts.workflow_timeout_policy(state.definition) == timeouts.ALERT_ONLY:
                log.info("workflow %s: %s", wf.workflow_id, reason)
            else:
                ctx.failure_workflow_due = True
                ctx.end(WorkflowStatus.TIMED_OUT.value, reason)
                self._record(tx, ctx)
                return
        timed_out = []
        for task in sorted(state.pending.values(), key=lambda t: t.seq):
            wt = task.workflow_task
            worker_task = kind_of(wt.type).polled_by_workers
            task_def = ctx.task_def(wt)
            for policy, reason in timeouts.passed_limits(task, task_def, ctx.now, worker_task):
                if policy != timeouts.ALERT_ONLY:
                    break
                log.info("task %s of workflow %s: %s", task.task_id, wf.workflow_id, reason)
            else:
                if task.task_id in fired:
                    ctx.touch(task)  # still pending: saved with the timer for its next limit
                continue
            task.status = TaskStatus.TIMED_OUT.value
            task.reason_for_incompletion = reason
            task.end_time = ctx.now
            self._store.unqueue(task.task_id)
            if policy == "TIME_OUT_WF":
                task.executed = True
                ctx.touch(task)
                ctx.fail(task)
                break
            timed_out.append(task)
        if not ctx.ended:
            decider.decide(ctx, timed_out)
        self._record(tx, ctx)
