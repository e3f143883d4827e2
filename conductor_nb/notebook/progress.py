"""Progress of an execution while it runs: its status, tasks done of those scheduled, and the elapsed time, on one
line updated in place (a display with a display_id in Jupyter; a carriage-return line elsewhere).

    run = executor.execute(...)            # in a notebook: a progress line appears if it takes over half a second
                                           # (on the embedded engine and on a Conductor server alike)
    wf = watch(executor, workflow_id)      # follow a running execution until it ends (or `timeout`)
    wf = await wait_for(workflow_id)       # the same without blocking the kernel's event loop

None of this uses asyncio in the blocking forms, so they work in Jupyter's running event loop as they are.
"""

from __future__ import annotations

import asyncio
import html
import sys
import threading
import time
import uuid
from typing import Any, Callable, Optional

from ..errors import NotFoundError
from ..models import StartWorkflowRequest, Workflow, WorkflowRun, WorkflowStateUpdate, WorkflowStatus
from .connection import api_of
from .dot import STATUS_COLOURS, WORKFLOW_STATUS_AS_TASK
from .records import TASK_FAILED

SHOW_AFTER_SECONDS = 0.5  # a faster execute shows nothing
INTERVAL_SECONDS = 0.5
FIRST_POLL_SECONDS = 0.05  # a remote execute polls after this, then twice as long each time, up to INTERVAL_SECONDS
_DONE = {"COMPLETED", "COMPLETED_WITH_ERRORS", "SKIPPED", "CANCELED", *TASK_FAILED}
_PENDING = {"SCHEDULED", "IN_PROGRESS"}


class ProgressLine:
    """One line about one execution, shown on the first `update` and rewritten by the next ones."""

    def __init__(self, label: str, started: Optional[float] = None):
        self.label = label
        self.started = started if started is not None else time.monotonic()
        self.shown = False
        self._handle: Any = None
        self._parent = _display_parent()  # the cell this line belongs to, whichever thread updates it
        self._terminal_width = 0

    def update(self, workflow: Any, final: bool = False) -> None:
        """Show `workflow`'s progress now (`final`: it is the last update)."""
        line = _Line(self.label, workflow, time.monotonic() - self.started)
        if _in_kernel():
            self._update_display(line)
        else:
            text = line.text()
            stream = sys.__stderr__ or sys.stderr
            stream.write("\r" + text.ljust(self._terminal_width) + ("\n" if final else ""))
            stream.flush()
            self._terminal_width = len(text)
        self.shown = True

    def _update_display(self, line: _Line) -> None:
        from IPython.display import display

        publisher = _display_publisher()
        pin = getattr(publisher, "set_thread_parent", None) if self._parent else None
        token = pin(self._parent) if pin else None
        try:
            if self._handle is None:
                self._handle = display(line, display_id=True)
            else:
                self._handle.update(line)
        finally:
            if pin:
                publisher.reset_thread_parent(token)


class _Line:
    """What a progress line says, as text and as HTML."""

    def __init__(self, label: str, workflow: Any, elapsed: float):
        self.label = label
        self.workflow = workflow
        self.elapsed = _elapsed(workflow, elapsed)
        tasks = list(getattr(workflow, "tasks", None) or [])
        self.scheduled = len(tasks)
        self.done = sum(1 for t in tasks if t.status in _DONE)
        self.status = str(getattr(workflow, "status", None) or "RUNNING")
        self.workflow_id = getattr(workflow, "workflow_id", None) or ""

    def text(self) -> str:
        ident = f" {self.workflow_id}" if self.workflow_id else ""
        return f"{self.label}{ident}: {self.status}, {self.done}/{self.scheduled} tasks done, {self.elapsed:.1f} s"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        _, _, colour = STATUS_COLOURS.get(WORKFLOW_STATUS_AS_TASK.get(self.status, ""), STATUS_COLOURS["IN_PROGRESS"])
        markup = (f"<div style='font-size:12px'><progress value='{self.done}' max='{max(self.scheduled, 1)}' "
                  f"style='width:12em;vertical-align:middle'></progress> <b>{html.escape(self.label)}</b> "
                  f"<code>{html.escape(self.workflow_id)}</code> "
                  f"<span style='color:{colour}'>{html.escape(self.status)}</span> · "
                  f"{self.done}/{self.scheduled} tasks done · {self.elapsed:.1f} s</div>")
        return {"text/plain": self.text(), "text/html": markup}


def _elapsed(workflow: Any, fallback: float) -> float:
    """Seconds since the execution started (to its end once it has ended), else `fallback`."""
    start = getattr(workflow, "start_time", None) or getattr(workflow, "create_time", None)
    if not start:
        return fallback
    end = getattr(workflow, "end_time", None)
    if not end and _ended(workflow):
        end = getattr(workflow, "update_time", None)
    return max(0.0, ((end or time.time() * 1000) - start) / 1000)


class Monitor:
    """Follows an execution on a background thread, keeping a ProgressLine current, until `stop()`.

    Nothing is shown for runs that end within SHOW_AFTER_SECONDS.
    """

    def __init__(self, api: Any, workflow_id: str, label: str,
                 show_after: float = SHOW_AFTER_SECONDS, interval: float = INTERVAL_SECONDS):
        self.api = api
        self.workflow_id = workflow_id
        self.line = ProgressLine(label)
        self._show_after = show_after
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="conductor-nb-progress", daemon=True)

    def start(self) -> Monitor:
        self._thread.start()
        return self

    def stop(self, final: Any = None) -> None:
        """Stop following; if a line is showing, leave it with `final` (the ended execution) in it."""
        self._stop.set()
        self._thread.join(5)
        if self.line.shown and final is not None:  # after an error or an interrupt the last line stays
            try:
                self.line.update(final, final=True)
            except Exception:
                pass

    def _run(self) -> None:
        if self._stop.wait(self._show_after):
            return
        while True:
            try:
                workflow = self.api.get_workflow(self.workflow_id, True)
                if self._stop.is_set():
                    return
                self.line.update(workflow)
            except Exception:  # progress is a courtesy: never disturb the execution it reports on
                return
            if self._stop.wait(self._interval):
                return


# -- execute with progress ------------------------------------------------------------------------------------------

def execute_workflow(executor: Any, request: StartWorkflowRequest, wait_until_task_ref: Optional[str],
                     wait_for_seconds: int, request_id: Optional[str], original: Callable) -> Any:
    """WorkflowExecutor.execute_workflow, showing progress while it waits; same arguments, result and errors.

    It starts the workflow first, so its id (and with it the task counts) is known while it runs. Then it waits
    as a sync execute does: on the embedded engine with the engine's own wait (update_workflow_state with nothing
    to update), against a server by polling get_workflow (`_poll`), which every Conductor serves.
    """
    if threading.current_thread() is not threading.main_thread():  # a worker or helper thread: no cell to show in
        return original(executor, request, wait_until_task_ref, wait_for_seconds, request_id)
    client = executor.workflow_client
    label = request.name or "workflow"
    workflow_id = client.api.start_workflow(request)
    if not client.configuration.embedded:
        return _poll(client.api, workflow_id, label, wait_until_task_ref, wait_for_seconds, request_id)
    monitor = Monitor(client.api, workflow_id, label).start()
    run = None
    try:
        run = client.api.update_workflow_state(workflow_id, WorkflowStateUpdate(), request_id,
                                               wait_until_task_ref, wait_for_seconds)
        return run
    finally:
        monitor.stop(run)


def _poll(api: Any, workflow_id: str, label: str, wait_until_task_ref: Optional[str] = None,
          wait_for_seconds: float = 10, request_id: Optional[str] = None) -> WorkflowRun:
    """A sync execute's wait by polling: until the workflow ends, a task of `wait_until_task_ref` (references,
    comma-separated) ends, it waits for a signal (a WAIT with no duration or until, here or in a running
    sub-workflow), or `wait_for_seconds` pass. Shows the progress line meanwhile; returns what execute returns."""
    targets = {r.strip() for r in (wait_until_task_ref or "").split(",") if r.strip()}
    line = ProgressLine(label)
    deadline = line.started + (wait_for_seconds if wait_for_seconds is not None else 10)
    pause = FIRST_POLL_SECONDS
    while True:
        workflow = api.get_workflow(workflow_id, True)
        done = _sync_execute_done(api, workflow, targets)
        timed_out = not done and time.monotonic() >= deadline
        if line.shown or time.monotonic() - line.started >= SHOW_AFTER_SECONDS:
            try:
                line.update(workflow, final=done or timed_out)
            except Exception:  # progress is a courtesy: never disturb the execution it reports on
                pass
        if done or timed_out:
            return _workflow_run(workflow, request_id or str(uuid.uuid4()), timed_out)
        time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        pause = min(pause * 2, INTERVAL_SECONDS)


def _sync_execute_done(api: Any, workflow: Workflow, targets: set[str]) -> bool:
    if _ended(workflow):
        return True
    if targets and any(t.status not in _PENDING and _reference_in(t.reference_task_name or "", targets)
                       for t in workflow.tasks or []):
        return True
    return _waits_for_signal(api, workflow)


def _reference_in(ref: str, targets: set[str]) -> bool:
    return ref in targets or ref.split("__")[0] in targets  # a loop's ref__2 is an iteration of ref


def _waits_for_signal(api: Any, workflow: Workflow) -> bool:
    for task in workflow.tasks or []:
        if task.task_type == "WAIT" and task.status == "IN_PROGRESS":
            given = task.input_data or {}
            if not given.get("duration") and not given.get("until"):
                return True
        elif task.task_type == "SUB_WORKFLOW" and task.status in _PENDING and task.sub_workflow_id:
            try:
                if _waits_for_signal(api, api.get_workflow(task.sub_workflow_id, True)):
                    return True
            except NotFoundError:
                continue
    return False


def _workflow_run(workflow: Workflow, request_id: str, timed_out: bool) -> WorkflowRun:
    """The WorkflowRun a sync execute returns, from the Workflow as last read."""
    return WorkflowRun(
        response_type="TARGET_WORKFLOW", target_workflow_id=workflow.workflow_id,
        target_workflow_status=workflow.status, request_id=request_id, workflow_id=workflow.workflow_id,
        correlation_id=workflow.correlation_id, input=workflow.input, output=workflow.output,
        signal_timeout=timed_out, priority=workflow.priority, variables=workflow.variables, tasks=workflow.tasks,
        created_by=workflow.created_by, create_time=workflow.create_time, status=workflow.status,
        update_time=workflow.update_time, reason_for_incompletion=workflow.reason_for_incompletion)


# -- watch / wait_for -----------------------------------------------------------------------------------------------

def _target(source: Any, workflow: Any) -> tuple[Any, str]:
    """(source, workflow) or (workflow,) -> (api, workflow id); a workflow may be an id, a Workflow or a run."""
    if workflow is None:
        source, workflow = None, source
    workflow_id = workflow if isinstance(workflow, str) else getattr(workflow, "workflow_id", None)
    if not workflow_id:
        raise ValueError(f"no workflow id in {workflow!r}")
    return api_of(source), workflow_id


def _ended(workflow: Any) -> bool:
    try:
        return WorkflowStatus(workflow.status).is_terminal
    except ValueError:  # None, or a status this package does not know
        return False


def watch(source: Any = None, workflow: Any = None, *, timeout: Optional[float] = None,
          interval: float = INTERVAL_SECONDS) -> Any:
    """Follow an execution, showing its progress, until it ends or `timeout` seconds pass; return the Workflow.

    `watch(workflow_id)` uses the notebook's current configuration; `watch(executor, workflow_id)` another
    source. Interrupt the kernel to stop watching (the execution goes on).
    """
    api, workflow_id = _target(source, workflow)
    line = ProgressLine("workflow")
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        current = api.get_workflow(workflow_id, True)
        line.label = current.workflow_name or "workflow"
        finished = _ended(current) or (deadline is not None and time.monotonic() >= deadline)
        line.update(current, final=finished)
        if finished:
            return current
        time.sleep(interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic())))


async def wait_for(source: Any = None, workflow: Any = None, *, timeout: Optional[float] = None,
                   interval: float = INTERVAL_SECONDS) -> Any:
    """`await wait_for(workflow_id)`: watch() without blocking the event loop (API calls run on a thread)."""
    api, workflow_id = _target(source, workflow)
    line = ProgressLine("workflow")
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        current = await asyncio.to_thread(api.get_workflow, workflow_id, True)
        line.label = current.workflow_name or "workflow"
        finished = _ended(current) or (deadline is not None and time.monotonic() >= deadline)
        line.update(current, final=finished)
        if finished:
            return current
        await asyncio.sleep(interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic())))


# -- where the line is shown ----------------------------------------------------------------------------------------

def _shell() -> Any:
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None


def _in_kernel() -> bool:
    return getattr(_shell(), "kernel", None) is not None


def _display_publisher() -> Any:
    return getattr(_shell(), "display_pub", None)


def _display_parent() -> Optional[dict]:
    publisher = _display_publisher() if _in_kernel() else None
    return getattr(publisher, "parent_header", None) or None
