"""The notebook layer switched on in a running IPython: rich displays, cell workers, execute progress, shutdown.

`import conductor_nb` inside IPython calls `activate(get_ipython())` (so does `%load_ext conductor_nb.notebook`);
nothing here runs in scripts. What activate does, and deactivate undoes:

- displays: Workflow and WorkflowRun show as their diagram above their tasks, SearchResult as a table (IPython
  formatters registered for those types). WorkflowDef and ConductorWorkflow need none: their own
  `_repr_mimebundle_` draws them (so do an execution's, without the table, where this layer is off).
- cell workers: `@worker_task` functions defined in cells start polling (see `cells`), each printing into its own
  output (see `streams`); a TaskHandler started in the kernel leaves their task types to them.
- progress: WorkflowExecutor.execute_workflow (behind `execute`, ConductorWorkflow.execute and `__call__`) shows
  a progress line while it waits (see `progress`); same signature, result and errors.
- shutdown: cell workers stop when the kernel exits (atexit: a task still executing is reported FAILED so it is
  retried, as TaskHandler.stop_processes does).
"""

from __future__ import annotations

import atexit
import functools
from typing import Any, Callable, Optional

from ..models import SearchResult, Workflow, WorkflowRun
from ..worker import worker as worker_module
from ..worker.task_handler import TaskHandler
from ..workflow.executor import WorkflowExecutor
from . import cells, diagrams, progress, streams, tables


def execution_bundle(obj: Any) -> dict:
    """An execution: its diagram and outline, plus HTML with the diagram above the table of its tasks."""
    bundle = diagrams.mimebundle(obj)
    markup = tables.execution_html(obj, bundle.get("image/svg+xml"))
    if markup:
        bundle["text/html"] = markup
    return bundle


# formatter (a mime type, or "mimebundle" for a whole bundle) -> type -> function of the object. A registered
# formatter replaces the type's own _repr_mimebundle_, so an execution shows once, with its table.
DISPLAYS: dict[str, dict[type, Callable[[Any], Any]]] = {
    "mimebundle": {Workflow: execution_bundle, WorkflowRun: execution_bundle},
    "text/html": {SearchResult: tables.search_result_html},
}


def _execute_workflow(original: Callable) -> Callable:
    @functools.wraps(original)
    def execute_workflow(self, request, wait_until_task_ref=None, wait_for_seconds=10, request_id=None):
        return progress.execute_workflow(self, request, wait_until_task_ref, wait_for_seconds, request_id, original)

    return execute_workflow


def _start_processes(original: Callable) -> Callable:
    @functools.wraps(original)
    def start_processes(self):
        if not getattr(self, "_runners", None):
            cells.registry.handler_starting(self)
        return original(self)

    return start_processes


# (class, method name, wrapper factory): the SDK methods that behave differently in a notebook
PATCHES = [
    (WorkflowExecutor, "execute_workflow", _execute_workflow),
    (TaskHandler, "start_processes", _start_processes),
]


class _Activation:
    def __init__(self, shell: Any):
        self.shell = shell
        self.undo: list[Callable[[], None]] = []


_active: Optional[_Activation] = None
_atexit_registered = False


def activate(shell: Any) -> None:
    """Switch the notebook layer on in `shell` (an IPython InteractiveShell); calling it again does nothing."""
    global _active, _atexit_registered
    if _active is not None:
        if _active.shell is shell:
            return
        deactivate()
    activation = _Activation(shell)
    _register_displays(shell, activation)
    for owner, name, wrap in PATCHES:
        original = owner.__dict__[name]
        setattr(owner, name, wrap(original))
        activation.undo.append(functools.partial(setattr, owner, name, original))
    streams.install()
    activation.undo.append(streams.uninstall)
    cells.registry.shell = shell
    cells.registry.enabled = True
    activation.undo.append(worker_module.on_register(cells.registry.registered))
    if not _atexit_registered:
        atexit.register(_at_exit)
        _atexit_registered = True
    _active = activation


def deactivate() -> None:
    """Switch it off again: stop the cell workers, remove the displays, restore the SDK's methods."""
    global _active
    activation, _active = _active, None
    if activation is None:
        return
    cells.registry.enabled = False
    cells.registry.stop_all("the notebook layer was switched off")
    cells.registry.shell = None
    for undo in reversed(activation.undo):
        undo()


def is_active() -> bool:
    return _active is not None


def _register_displays(shell: Any, activation: _Activation) -> None:
    formatters = shell.display_formatter.formatters
    for target, by_type in DISPLAYS.items():
        formatter = shell.display_formatter.mimebundle_formatter if target == "mimebundle" else formatters[target]
        for cls, func in by_type.items():
            previous = formatter.for_type(cls, func)
            activation.undo.append(functools.partial(_restore, formatter, cls, previous))


def _restore(formatter: Any, cls: type, previous: Any) -> None:
    if previous is None:
        formatter.type_printers.pop(cls, None)
    else:
        formatter.for_type(cls, previous)


def _at_exit() -> None:
    """The kernel is exiting: stop the cell workers (and fail what they still execute) while IOPub still works."""
    cells.registry.stop_all("the kernel shut down")
