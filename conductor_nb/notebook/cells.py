"""Cell workers: in IPython, a `@worker_task` function defined in a cell starts polling at once, on background
threads of the kernel, against the notebook's current configuration (`conductor_nb.notebook.use`).

- One worker per (task name, domain): re-running the cell stops the old threads (a task they are executing has
  about a second to finish, then it is reported FAILED so Conductor retries it, as TaskHandler.stop_processes
  does) and starts the new function.
- Only functions defined in the notebook itself (module `__main__`) start by themselves; workers imported from
  modules run under a TaskHandler, as in scripts. Outside IPython nothing starts by itself.
- One poller per task type: a TaskHandler started in the kernel skips the types cell workers serve on its
  configuration, and a cell worker defined later takes its type over from a running TaskHandler.
- Each worker's prints, log records and failed tasks' tracebacks go to its own output (see `streams`), shown in
  the cell that defined it; all stop when the kernel shuts down.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any, Callable, Optional

from ..api import connect
from ..config import Configuration
from ..models import TaskDef, TaskResult, TaskResultStatus
from ..worker.runner import TaskRunner, fail_abandoned
from ..worker.task_handler import STOP_GRACE_SECONDS
from ..worker.worker import Worker
from . import connection, streams

Key = tuple[str, Optional[str]]
_FAILED = {TaskResultStatus.FAILED.value, TaskResultStatus.FAILED_WITH_TERMINAL_ERROR.value}


def key_of(worker: Worker) -> Key:
    return worker.task_definition_name, worker.domain


def is_cell_function(func: Callable) -> bool:
    """True for a function defined in the notebook (or `%run` script) itself rather than in an imported module."""
    return getattr(func, "__module__", None) == "__main__"


def describe(configuration: Configuration) -> str:
    return f"server {configuration.host}" if configuration.host else f"embedded engine on {configuration.db_path}"


class CellRunner(TaskRunner):
    """A TaskRunner whose threads print to the worker's own output, which also shows failed tasks' tracebacks."""

    def __init__(self, worker: Worker, api: Any, output: streams.WorkerOutput):
        super().__init__(_Showing(worker, output), api)
        self.output = output

    def _run(self) -> None:  # the body of each thread: bind it to the output first
        streams.bind(self.output)
        try:
            super()._run()
        finally:
            streams.bind(None)


class _Showing:
    """The worker as its runner sees it: executes as the worker does, then shows what went wrong, if anything."""

    def __init__(self, worker: Worker, output: streams.WorkerOutput):
        self._worker = worker
        self._output = output

    def execute(self, task: Any) -> TaskResult:
        result = self._worker.execute(task)
        if result.status in _FAILED:
            trace = result.logs[-1].log if result.logs else ""
            self._output.write("stderr", f"task {result.task_id} {result.status}: {result.reason_for_incompletion}\n"
                                         f"{trace.rstrip()}\n")
        self._output.flush()
        return result

    def __getattr__(self, name: str) -> Any:  # task_definition_name, domain, worker_id, paused, ...
        return getattr(self._worker, name)


class CellWorker:
    """A worker started by its cell: what it runs, the configuration it polls, its threads and its output."""

    def __init__(self, worker: Worker, configuration: Configuration, output: streams.WorkerOutput,
                 panel: Optional[Any] = None):
        self.worker = worker
        self.configuration = configuration
        self.output = output
        self.status = "starting"
        self._panel = panel  # shows `status` in the defining cell (None: not shown)
        self._runner: Optional[CellRunner] = None
        self._api = connect(configuration)

    @property
    def name(self) -> str:
        return self.worker.task_definition_name

    @property
    def running(self) -> bool:
        return self._runner is not None and self._runner.running

    @property
    def threads(self) -> list[threading.Thread]:
        return list(self._runner._threads) if self._runner else []

    def start(self) -> None:
        if self.worker.register_task_def:
            template = self.worker.task_def_template.to_dict() if self.worker.task_def_template else {}
            self._api.register_task_defs([TaskDef.from_dict({**template, "name": self.name})])
        self._runner = CellRunner(self.worker, self._api, self.output)
        self._runner.start()
        self._set_status(f"polling {describe(self.configuration)}")

    def request_stop(self) -> None:
        if self._runner is not None:
            self._runner.request_stop()

    def finish_stop(self, reason: str, deadline: float) -> None:
        """After request_stop: wait until `deadline` (monotonic) for the threads, then fail what they still run."""
        runner, self._runner = self._runner, None
        if runner is not None:
            for task in runner.join(max(0.0, deadline - time.monotonic())):
                fail_abandoned(self._api, task, self.worker.worker_id)
        self.output.close()
        self._set_status(f"stopped: {reason}")

    def stop(self, reason: str = "stopped") -> None:
        self.request_stop()
        self.finish_stop(reason, time.monotonic() + STOP_GRACE_SECONDS)

    def _set_status(self, status: str) -> None:
        self.status = status
        if self._panel is not None:
            try:
                self._panel.show_status(self)
            except Exception:  # a display that is gone must not stop a worker
                self._panel = None

    def __repr__(self) -> str:
        return f"<cell worker {self.name!r}{f' domain={self.worker.domain!r}' if self.worker.domain else ''}: " \
               f"{self.status}>"


class CellWorkers:
    """The running cell workers of this process, by (task name, domain)."""

    def __init__(self):
        self.enabled = False  # set by conductor_nb.notebook.ipython.activate
        self.shell: Any = None
        self._workers: dict[Key, CellWorker] = {}
        self._handlers: weakref.WeakSet = weakref.WeakSet()  # TaskHandlers started in this kernel
        self._lock = threading.RLock()

    # -- the hook: @worker_task registered a worker -----------------------------------------------------------------
    def registered(self, worker: Worker) -> None:
        if self.enabled and is_cell_function(worker.execute_function):
            try:
                self.start(worker)
            except Exception as e:  # decorating must not fail; say why the worker did not start
                print(f"conductor_nb: worker {worker.task_definition_name!r} did not start: {e}",
                      file=streams.originals()["stderr"])

    # -- starting and stopping ------------------------------------------------------------------------------------
    def start(self, worker: Worker, configuration: Optional[Configuration] = None) -> CellWorker:
        """Run `worker` on background threads, replacing the cell worker of the same task name and domain."""
        configuration = configuration or connection.current()
        key = key_of(worker)
        with self._lock:
            old = self._workers.pop(key, None)
            if old is not None:
                old.stop("replaced by a new definition")
            self._take_over_from_handlers(key, configuration)
            output, panel = _output_for(worker.task_definition_name, self.shell)
            cell_worker = CellWorker(worker, configuration, output, panel)
            cell_worker.start()
            self._workers[key] = cell_worker
            panel.display(cell_worker)
            return cell_worker

    def stop(self, name: str, domain: Optional[str] = None) -> bool:
        """Stop the cell worker for `name` (and `domain`); False if there was none."""
        with self._lock:
            cell_worker = self._workers.pop((name, domain), None)
        if cell_worker is None:
            return False
        cell_worker.stop("stopped by stop_worker")
        return True

    def stop_all(self, reason: str = "stopped") -> None:
        """Stop every cell worker within about a second in all (their threads stop together)."""
        with self._lock:
            stopping, self._workers = list(self._workers.values()), {}
        for cell_worker in stopping:
            cell_worker.request_stop()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for cell_worker in stopping:
            cell_worker.finish_stop(reason, deadline)

    def move_to(self, configuration: Configuration) -> None:
        """Restart the running cell workers that poll another configuration on `configuration`."""
        with self._lock:
            moving = [cw for cw in self._workers.values() if cw.configuration != configuration]
            for cell_worker in moving:
                cell_worker.request_stop()
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            for cell_worker in moving:
                self._workers.pop(key_of(cell_worker.worker), None)
                cell_worker.finish_stop(f"moved to {describe(configuration)}", deadline)
                self.start(cell_worker.worker, configuration)

    def running(self) -> dict[str, CellWorker]:
        with self._lock:
            return {cw.name if cw.worker.domain is None else f"{cw.name}@{cw.worker.domain}": cw
                    for cw in self._workers.values()}

    # -- TaskHandlers in the same kernel: one poller per task type ------------------------------------------------
    def handler_starting(self, handler: Any) -> None:
        """Called before a TaskHandler starts: it leaves the task types cell workers serve to them."""
        with self._lock:
            served = {k for k, cw in self._workers.items() if cw.configuration == handler.configuration}
            skipped = [w.task_definition_name for w in handler.workers if key_of(w) in served]
            handler.workers = [w for w in handler.workers if key_of(w) not in served]
            self._handlers.add(handler)
        if skipped:
            print(f"TaskHandler: {', '.join(map(repr, skipped))} already polled by cell workers; not started again "
                  "(conductor_nb.notebook.stop_worker(name) hands a task type back)",
                  file=streams.originals()["stderr"])

    def _take_over_from_handlers(self, key: Key, configuration: Configuration) -> None:
        for handler in list(self._handlers):
            if handler.configuration != configuration:
                continue
            for runner in list(getattr(handler, "_runners", [])):
                if key_of(runner.worker) == key:
                    runner.request_stop()
                    for task in runner.join(STOP_GRACE_SECONDS):
                        fail_abandoned(runner.api, task, runner.worker.worker_id)
                    handler._runners.remove(runner)


registry = CellWorkers()


# -- where a worker's output is shown -------------------------------------------------------------------------------

def _output_for(name: str, shell: Any) -> tuple[streams.WorkerOutput, Any]:
    """A WorkerOutput and the panel showing it: a widget in a kernel with ipywidgets, else prefixed lines."""
    kernel = getattr(shell, "kernel", None) if shell is not None else None
    if kernel is not None:
        try:
            panel = _WidgetPanel(name)
        except Exception:  # no ipywidgets: lines go to the defining cell, prefixed
            pass
        else:
            return streams.WorkerOutput(name, streams.widget_view(panel.out), streams.REFRESH_SECONDS), panel
    originals = streams.originals()
    parent = getattr(originals["stdout"], "parent_header", None) if kernel is not None else None
    return streams.WorkerOutput(name, streams.prefixed_view(name, originals, parent)), _TextPanel()


class _TextPanel:
    """Says in the defining cell that the worker started; its output follows as `[name] ...` lines."""

    def display(self, cell_worker: CellWorker) -> None:
        print(f"worker {cell_worker.name!r}: {cell_worker.status}; its output is prefixed [{cell_worker.name}]",
              file=streams.originals()["stdout"])

    def show_status(self, cell_worker: CellWorker) -> None:
        pass


class _WidgetPanel:
    """The worker's status line above an Output widget with its prints, displayed in the defining cell."""

    def __init__(self, name: str):
        import ipywidgets

        self.name = name
        self.out = ipywidgets.Output(layout={"max_height": "16em", "overflow": "auto"})
        self.label = ipywidgets.HTML()
        panel = self

        class WorkerPanel(ipywidgets.VBox):
            def __repr__(self) -> str:
                return f"worker {panel.name!r}: {_plain(panel.label.value)}"

            def _repr_mimebundle_(self, **kwargs):  # text/plain for front-ends without widgets, not cut short
                data = super()._repr_mimebundle_(**kwargs)
                if data:
                    data["text/plain"] = repr(self)
                return data

        self.box = WorkerPanel([self.label, self.out])

    def display(self, cell_worker: CellWorker) -> None:
        from IPython.display import display

        self.label.value = _status_html(cell_worker)
        display(self.box)

    def show_status(self, cell_worker: CellWorker) -> None:
        self.label.value = _status_html(cell_worker)


def _status_html(cell_worker: CellWorker) -> str:
    import html

    colour = "#1B5E20" if cell_worker.status.startswith("polling") else "#616161"
    return (f'<span style="color:{colour}">worker <b>{html.escape(cell_worker.name)}</b>: '
            f"{html.escape(cell_worker.status)}</span>")


def _plain(markup: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", markup)).split(": ", 1)[-1]
