"""An execution panel and a launcher: ipywidgets that show an execution live and steer it through the SDK's clients.

    p = panel(workflow_id)         # or a Workflow, a WorkflowRun, a WorkflowDef or ConductorWorkflow (not run yet)
    p                              # status, diagram and tasks, kept current while it runs, and the buttons
    p.terminate("wrong input")     # what each button does, from code: the same WorkflowClient call
    p.error                        # the last error, which the panel also shows inline (never a traceback)
    launcher()                     # the registered workflows: pick one, fill in its input, run it, watch it

Every button calls the WorkflowClient method of its name (`pause_workflow`, `resume_workflow`,
`terminate_workflow`, `retry_workflow`, `restart_workflow`, `rerun_workflow`; Execute calls `start_workflow`), so
the panel works the same on the embedded engine and on a Conductor server. While the execution runs, a background
thread re-reads it every `interval` seconds and updates the widgets; it stops when the execution ends or the panel
is closed, and starts again when an action (retry, restart, resume, rerun, execute) sets it running.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any, Callable, Optional

import ipywidgets as w

from ..clients import MetadataClient, OrkesClients, WorkflowClient
from ..config import Configuration
from ..errors import NotFoundError
from ..models import RerunWorkflowRequest, StartWorkflowRequest, Workflow, WorkflowDef, WorkflowRun
from . import panel_views as views
from . import records
from .connection import api_of, current

INTERVAL_SECONDS = 0.5

# key -> (label, FontAwesome icon, button style, tooltip): the toolbar, left to right
ACTIONS = {
    "execute": ("Execute…", "play", "primary", "start a new run of this workflow: opens the input form"),
    "pause": ("Pause", "pause", "", "pause: no new tasks are scheduled until it is resumed"),
    "resume": ("Resume", "forward", "", "resume a paused run"),
    "terminate": ("Terminate", "stop", "danger", "terminate the run (with the reason below)"),
    "retry": ("Retry", "repeat", "warning", "retry the failed tasks of an ended run"),
    "restart": ("Restart", "undo", "", "start the ended run over from its first task, with the same input"),
    "rerun": ("Rerun", "history", "", "rerun the ended run from the task chosen below"),
    "refresh": ("", "refresh", "", "read the execution again now"),
}
_ENDED = {"execute", "restart", "rerun", "refresh"}
# workflow status -> the buttons that can do something then (None: no run yet); an unknown status enables all
ENABLED: dict[Optional[str], set[str]] = {
    None: {"execute"},
    "RUNNING": {"execute", "pause", "terminate", "refresh"},
    "PAUSED": {"execute", "resume", "terminate", "refresh"},
    "COMPLETED": _ENDED,
    "FAILED": _ENDED | {"retry"},
    "TIMED_OUT": _ENDED | {"retry"},
    "TERMINATED": _ENDED | {"retry"},
}

_STYLE = f"""<style>
.{views.CSS_CLASS} {{ border: 1px solid #CFD8DC; border-radius: 6px; padding: 8px 10px; gap: 4px;
  background: var(--jp-layout-color0, #fff); }}
.{views.CSS_CLASS} .conductor-nb-toolbar {{ gap: 4px; flex-wrap: wrap; }}
.{views.CSS_CLASS} .widget-button {{ min-width: 0; padding: 0 12px; }}
.{views.CSS_CLASS} .conductor-nb-options, .conductor-nb-row {{ gap: 8px 16px; }}
.conductor-nb-launcher {{ gap: 6px; }}
.{views.CSS_CLASS} .conductor-nb-form {{ background: #F5F7F8; border-radius: 4px; padding: 6px; }}
.{views.CSS_CLASS} .conductor-nb-form textarea {{ font-family: var(--jp-code-font-family, monospace);
  font-size: 12px; }}
.{views.CSS_CLASS} .conductor-nb-diagram svg {{ max-width: 100%; height: auto; }}
</style>"""


def clients_of(source: Any = None) -> tuple[WorkflowClient, MetadataClient]:
    """The WorkflowClient the buttons call, and a MetadataClient for definitions, from whatever leads to a
    Conductor: None (the notebook's current configuration), a Configuration, a WorkflowClient (used as it is), a
    WorkflowExecutor, OrkesClients, a ConductorWorkflow, another client, a ConductorAPI, or the pair itself."""
    if isinstance(source, tuple) and len(source) == 2:
        return source
    executor = getattr(source, "_executor", None)  # a ConductorWorkflow
    if executor is not None:
        source = executor
    if isinstance(source, WorkflowClient):
        return source, MetadataClient(source.configuration, source.api)
    if isinstance(getattr(source, "workflow_client", None), WorkflowClient):  # WorkflowExecutor
        workflow_client = source.workflow_client
        metadata = getattr(source, "metadata_client", None)
        return workflow_client, metadata if isinstance(metadata, MetadataClient) else \
            MetadataClient(workflow_client.configuration, workflow_client.api)
    if isinstance(source, OrkesClients):
        return source.get_workflow_client(), source.get_metadata_client()
    configuration = source if isinstance(source, Configuration) else getattr(source, "configuration", None)
    if not isinstance(configuration, Configuration):
        configuration = current()
    api = api_of(source)
    return WorkflowClient(configuration, api), MetadataClient(configuration, api)


def panel(workflow: Any = None, client: Any = None, *, interval: float = INTERVAL_SECONDS) -> ExecutionPanel:
    """An ExecutionPanel for `workflow`: a workflow id, a Workflow or WorkflowRun (it follows that execution), or
    a WorkflowDef or ConductorWorkflow (nothing runs until you press Run). Show it by making it a cell's value."""
    return ExecutionPanel(workflow, client, interval=interval)


def launcher(client: Any = None, *, interval: float = INTERVAL_SECONDS) -> Launcher:
    """A Launcher: the registered workflows to pick from, with a panel to run and follow the one picked."""
    return Launcher(client, interval=interval)


class _Shown:
    """Displays as its `widget` (an ipywidgets box). For a reader without a kernel (a notebook on GitHub, nbviewer)
    the same output also carries what the widget shows now as static HTML, and a short text."""

    widget: w.Box

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict:
        bundle = (self.widget._repr_mimebundle_(**kwargs) if self.widget.comm is not None else None) or {}
        bundle["text/html"] = views.static_panel(self._static_parts())
        bundle["text/plain"] = repr(self)
        return bundle

    def _static_parts(self) -> list[str]:
        """The HTML of what the widget shows now, top to bottom."""
        raise NotImplementedError


class ExecutionPanel(_Shown):
    """One execution in a box: status, diagram and task table, live while it runs, and the buttons that steer it.

    `buttons` maps "execute", "pause", "resume", "terminate", "retry", "restart", "rerun" and "refresh" to their
    ipywidgets Buttons. The methods of the same names do what the buttons do, and show the outcome in the panel:
    errors never raise, they become `error` and a line in the panel.
    """

    def __init__(self, workflow: Any = None, client: Any = None, *, interval: float = INTERVAL_SECONDS):
        self.workflow_client, self.metadata_client = clients_of(client)
        self.interval = interval
        self.workflow_id: Optional[str] = None
        self.workflow: Optional[Workflow] = None  # as last read
        self.definition: Optional[WorkflowDef] = None  # what Execute starts when there is no run yet
        self.error: Optional[BaseException] = None
        self.message = ""
        self._lock = threading.RLock()
        self._tickets = 0  # reads are numbered when they start; an older read never overwrites a newer one
        self._shown_ticket = -1
        self._fingerprint: Any = None
        self._prefilled_for: Any = object()
        self._thread: Optional[threading.Thread] = None
        self._closed = threading.Event()
        self._build()
        self._point_at(workflow)

    # -- what the buttons do ----------------------------------------------------------------------------------------

    def execute(self, workflow_input: Optional[dict] = None, correlation_id: Optional[str] = None) -> Optional[str]:
        """Start a new run of this workflow (the input form's JSON unless `workflow_input` is given) and follow it;
        returns its id, or None if it could not start (the panel says why)."""
        def start() -> str:
            data = views.parse_input(self._input.value) if workflow_input is None else workflow_input
            request = self._start_request(data, correlation_id if correlation_id is not None
                                          else self._correlation.value.strip() or None)
            return self.workflow_client.start_workflow(request)

        started = self._act("Execute", start, lambda new_id: f"started {new_id}")
        if started:
            self._form.layout.display = "none"
            self._follow_id(started)
        return started

    def pause(self) -> bool:
        """Pause the run (WorkflowClient.pause_workflow); True if it worked."""
        return self._act("Pause", lambda: self.workflow_client.pause_workflow(self._require_id()), "paused") \
            is not None

    def resume(self) -> bool:
        """Resume a paused run (WorkflowClient.resume_workflow)."""
        return self._act("Resume", lambda: self.workflow_client.resume_workflow(self._require_id()), "resumed") \
            is not None

    def terminate(self, reason: Optional[str] = None) -> bool:
        """Terminate the run (WorkflowClient.terminate_workflow) with `reason`, else the reason field's text."""
        why = reason if reason is not None else (self._reason.value.strip() or None)
        return self._act("Terminate", lambda: self.workflow_client.terminate_workflow(self._require_id(), why),
                         "terminated" + (f": {why}" if why else "")) is not None

    def retry(self, resume_subworkflow_tasks: bool = False) -> bool:
        """Retry an ended run from its failed tasks (WorkflowClient.retry_workflow)."""
        return self._act("Retry", lambda: self.workflow_client.retry_workflow(
            self._require_id(), resume_subworkflow_tasks), "retrying the failed tasks") is not None

    def restart(self, use_latest_definitions: bool = False) -> bool:
        """Start an ended run over with its input (WorkflowClient.restart_workflow)."""
        return self._act("Restart", lambda: self.workflow_client.restart_workflow(
            self._require_id(), use_latest_definitions), "restarted from the first task") is not None

    def rerun(self, from_task: Optional[str] = None, task_input: Optional[dict] = None,
              workflow_input: Optional[dict] = None) -> Optional[str]:
        """Rerun an ended run from a task (WorkflowClient.rerun_workflow): `from_task` is a reference name or a
        task id; by default the one chosen in the panel ("the start" reruns it all). Returns the run's id."""
        def rerun() -> str:
            workflow_id = self._require_id()
            task_id = self._task_id(from_task) if from_task is not None else self._rerun_from.value
            request = RerunWorkflowRequest(re_run_from_workflow_id=workflow_id, re_run_from_task_id=task_id or None,
                                           task_input=task_input, workflow_input=workflow_input)
            return self.workflow_client.rerun_workflow(workflow_id, request) or workflow_id

        chosen = from_task if from_task is not None else self._rerun_from.value
        rerun_id = self._act("Rerun", rerun, f"rerunning from {self._ref_of(chosen) or 'the start'}")
        if rerun_id and rerun_id != self.workflow_id:
            self._follow_id(rerun_id)
        return rerun_id

    def refresh(self) -> Optional[Workflow]:
        """Read the execution now and redraw what changed; returns it (None on an error, shown in the panel)."""
        if self.workflow_id is None:
            return None
        ticket = self._ticket()
        try:
            workflow = self.workflow_client.get_workflow(self.workflow_id, True)
        except Exception as exc:
            self._show_error("Reading the execution" if self.workflow is None else "Refresh", exc)
            return None
        try:
            self._show(workflow, ticket)
        except Exception as exc:  # a display never raises
            self._show_error("Showing the execution", exc)
        return workflow

    def wait(self, timeout: float = 30) -> Optional[str]:
        """Block until the run ends (or `timeout` seconds pass), keeping the panel current; returns its status."""
        deadline = time.monotonic() + timeout
        while self.refresh() is not None and not views.is_terminal(self.status) and time.monotonic() < deadline:
            time.sleep(min(self.interval, max(0.0, deadline - time.monotonic())))
        return self.status

    def _static_parts(self) -> list[str]:
        with self._lock:  # the header, the last message, the diagram and the task table
            return [self._header.value, self._message.value, self._diagram.value, self._tasks.value]

    def close(self) -> None:
        """Stop following and remove the panel from the notebook."""
        self._closed.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)
        for part in [self.widget, *self._all_widgets()]:
            part.close()

    # -- state ------------------------------------------------------------------------------------------------------

    @property
    def status(self) -> Optional[str]:
        return None if self.workflow is None else self.workflow.status

    @property
    def following(self) -> bool:
        """True while the background thread keeps the panel current."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def show_definition(self, definition: Any) -> None:
        """Point the panel at a workflow definition with no run yet: its diagram, and the input form to start one."""
        self._point_at(definition)

    def __repr__(self) -> str:
        if self.workflow is not None:
            return f"<ExecutionPanel {views.name_of(self.workflow)} {self.workflow_id}: {self.status}>"
        if self.workflow_id is not None:
            return f"<ExecutionPanel {self.workflow_id}>"
        name = getattr(self.definition, "name", None)
        return f"<ExecutionPanel {name}: not started>" if name else "<ExecutionPanel>"

    # -- building and pointing --------------------------------------------------------------------------------------

    def _build(self) -> None:
        self._header = w.HTML()
        self._header.add_class("conductor-nb-header")
        self.buttons: dict[str, w.Button] = {}
        for key, (label, icon, style, tooltip) in ACTIONS.items():
            button = w.Button(description=label, icon=icon, button_style=style, tooltip=tooltip,
                              layout=w.Layout(width="auto"))
            button.add_class(f"conductor-nb-{key}")
            self.buttons[key] = button
        handlers: dict[str, Callable[[], Any]] = {
            "execute": self._toggle_form, "pause": self.pause, "resume": self.resume, "terminate": self.terminate,
            "retry": self.retry, "restart": self.restart, "rerun": self.rerun, "refresh": self.refresh,
        }
        for key, handler in handlers.items():
            self.buttons[key].on_click(lambda _button, handler=handler: self._guarded(handler))
        toolbar = w.HBox(list(self.buttons.values()))
        toolbar.add_class("conductor-nb-toolbar")
        self._reason = w.Text(description="Reason", placeholder="why you terminate (optional)",
                              layout=w.Layout(width="320px"), style={"description_width": "initial"})
        self._rerun_from = w.Dropdown(description="Rerun from", options=[("the start", views.START)],
                                      value=views.START, layout=w.Layout(width="360px"),
                                      style={"description_width": "initial"})
        options = w.HBox([self._reason, self._rerun_from], layout=w.Layout(flex_flow="row wrap"))
        options.add_class("conductor-nb-options")
        self._input = w.Textarea(placeholder='{"name": "value"}', layout=w.Layout(width="100%", height="110px"))
        self._correlation = w.Text(description="Correlation id", placeholder="optional",
                                   layout=w.Layout(width="320px"), style={"description_width": "initial"})
        self._run = w.Button(description="Run", icon="play", button_style="primary", tooltip="start it",
                             layout=w.Layout(width="auto"))
        self._run.add_class("conductor-nb-run")
        self._run.on_click(lambda _button: self._guarded(self.execute))
        cancel = w.Button(description="Cancel", tooltip="close the form", layout=w.Layout(width="auto"))
        cancel.on_click(lambda _button: self._toggle_form(False))
        form_title = w.HTML("<b style='font-size:12px'>Input</b> <span style='color:#607D8B;font-size:12px'>"
                            "(a JSON object)</span>")
        form_buttons = w.HBox([self._correlation, self._run, cancel])
        form_buttons.add_class("conductor-nb-row")
        self._form = w.VBox([form_title, self._input, form_buttons], layout=w.Layout(display="none"))
        self._form.add_class("conductor-nb-form")
        self._message = w.HTML()
        self._diagram = w.HTML()
        self._tasks = w.HTML()
        self.widget = w.VBox([w.HTML(_STYLE), self._header, toolbar, options, self._form, self._message,
                              self._diagram, self._tasks])
        self.widget.add_class(views.CSS_CLASS)
        self._parts = [toolbar, options, self._form, form_buttons, self._run, cancel, form_title, self._correlation]

    def _all_widgets(self) -> list[w.Widget]:
        return [*self.widget.children, *self.buttons.values(), self._reason, self._rerun_from, self._input,
                *self._parts]

    def _point_at(self, subject: Any) -> None:
        """Follow an execution (an id, Workflow or WorkflowRun), or show a definition waiting to be run."""
        if isinstance(subject, dict) and subject.get("workflowId"):  # an execution's JSON
            subject = Workflow.from_dict(subject)
        if subject is None or isinstance(subject, (WorkflowDef, dict)) or hasattr(subject, "to_workflow_def"):
            with self._lock:
                self.workflow_id, self.workflow, self._fingerprint = None, None, None
                self.definition = _as_definition(subject)
                self._shown_ticket = self._ticket()
            self._show_definition()
            return
        workflow_id = subject if isinstance(subject, str) else getattr(subject, "workflow_id", None)
        if not workflow_id:
            self._show_error("Show", ValueError(f"no workflow id in {subject!r}"))
            return
        if isinstance(subject, (Workflow, WorkflowRun)) and getattr(subject, "workflow_definition", None):
            self.definition = subject.workflow_definition
        self._follow_id(workflow_id)

    def _follow_id(self, workflow_id: str) -> None:
        with self._lock:
            if workflow_id != self.workflow_id:
                self.workflow_id, self.workflow, self._fingerprint = workflow_id, None, None
        if self.refresh() is not None:
            self._follow()
        elif self.workflow is None:  # it could not be read: only Refresh makes sense
            self._enable(None)

    def _show_definition(self) -> None:
        definition = self.definition
        self._header.value = views.header(None, definition)
        if definition is None:
            self._header.value = views.header(None, WorkflowDef(name="no workflow chosen"))
            self._diagram.value = ""
        else:
            self._diagram.value = views.diagram(definition, definitions=self._definitions)
        self._tasks.value = ""
        self._input.value = views.input_template(definition)
        self._rerun_from.options = [("the start", views.START)]
        self._enable(None)
        self._toggle_form(definition is not None)

    # -- showing ----------------------------------------------------------------------------------------------------

    def _ticket(self) -> int:
        with self._lock:
            self._tickets += 1
            return self._tickets

    def _show(self, workflow: Workflow, ticket: int) -> None:
        with self._lock:
            if ticket < self._shown_ticket or workflow.workflow_id != self.workflow_id or self._closed.is_set():
                return
            self._shown_ticket = ticket
            self.workflow = workflow
            if workflow.workflow_definition is not None:
                self.definition = workflow.workflow_definition
            self._header.value = views.header(workflow)
            fingerprint = views.fingerprint(workflow)
            if fingerprint != self._fingerprint:
                self._fingerprint = fingerprint
                self._diagram.value = views.diagram(workflow, definitions=self._definitions)
                self._tasks.value = views.task_table(workflow)
                self._update_rerun_choices(workflow)
            if self._prefilled_for != workflow.workflow_id and self._form.layout.display == "none":
                self._prefilled_for = workflow.workflow_id
                self._input.value = views.input_template(self.definition, workflow)
            self._enable(workflow.status)

    def _update_rerun_choices(self, workflow: Workflow) -> None:
        choices = views.rerun_choices(workflow)
        if list(self._rerun_from.options) == choices:
            return
        chosen = self._rerun_from.value
        self._rerun_from.options = choices
        values = [v for _, v in choices]
        self._rerun_from.value = chosen if chosen in values and chosen != views.START else \
            views.default_rerun_choice(workflow)

    def _enable(self, status: Optional[str]) -> None:
        if status is not None:
            enabled = ENABLED.get(status, set(ACTIONS))
        else:  # no run yet, or a run that could not be read
            enabled = ENABLED[None] if self.workflow_id is None else {"execute", "refresh"}
        if self.definition is None and self.workflow is None:
            enabled = enabled - {"execute"}
        for key, button in self.buttons.items():
            button.disabled = key not in enabled

    def _say(self, text: str, kind: str = "ok") -> None:
        self.message = text
        self._message.value = views.message(text, kind)

    def _show_error(self, action: str, error: BaseException) -> None:
        self.error = error
        self._say(views.error_text(action, error), "error")

    # -- acting -----------------------------------------------------------------------------------------------------

    def _act(self, action: str, call: Callable[[], Any], done: Any) -> Any:
        """Run one client call; say what it did, or the error, in the panel; then read the execution again.
        Returns the call's result (True for None), or None after an error."""
        try:
            result = call()
        except Exception as exc:  # the panel shows every error inline: a button must never raise
            self._show_error(action, exc)
            return None
        self.error = None
        self._say(done(result) if callable(done) else done, "ok")
        if action != "Execute" and self.refresh() is not None:
            self._follow()
        return True if result is None else result

    def _guarded(self, handler: Callable[[], Any]) -> None:
        try:
            handler()
        except Exception as exc:  # a bug here must not become a traceback in the kernel's log
            self._show_error("Action", exc)

    def _require_id(self) -> str:
        if self.workflow_id is None:
            raise ValueError("there is no run yet: press Execute… to start one")
        return self.workflow_id

    def _task_id(self, ref_or_id: str) -> str:
        """A task id from a reference name (its latest attempt) or a task id of this run."""
        if not ref_or_id:
            return views.START
        workflow = self.workflow or self.workflow_client.get_workflow(self._require_id(), True)
        for task in reversed(records.tasks_of(workflow)):
            if ref_or_id in (task.task_id, task.reference_task_name):
                return task.task_id
        raise NotFoundError(f"no task {ref_or_id!r} in workflow {self.workflow_id}")

    def _ref_of(self, task_id: str) -> str:
        """The reference name of a task of this run (anything else is returned as it is)."""
        tasks = records.tasks_of(self.workflow) if self.workflow is not None else []
        return next((t.reference_task_name for t in tasks if t.task_id == task_id), task_id)

    def _start_request(self, data: dict, correlation_id: Optional[str]) -> StartWorkflowRequest:
        definition = self.definition
        if definition is None and self.workflow is not None:
            definition = WorkflowDef(name=views.name_of(self.workflow), version=views.version_of(self.workflow))
        if definition is None or not definition.name:
            raise ValueError("no workflow to execute: pick one, or make a panel of a workflow or a run")
        request = StartWorkflowRequest(name=definition.name, version=definition.version, input=data,
                                       correlation_id=correlation_id)
        if definition.tasks:
            try:  # an unregistered definition (a ConductorWorkflow, or a run of one) starts inline, as execute does
                self.metadata_client.get_workflow_def(definition.name, definition.version)
            except NotFoundError:
                request.workflow_def = definition
        return request

    def _toggle_form(self, show: Optional[bool] = None) -> None:
        visible = self._form.layout.display != "none"
        show = (not visible) if show is None else show
        self._form.layout.display = "flex" if show else "none"

    def _definitions(self, name: str, version: Optional[int]) -> Optional[WorkflowDef]:
        """Sub-workflow definitions for the diagram."""
        return self.metadata_client.get_workflow_def(name, version)

    # -- following --------------------------------------------------------------------------------------------------

    def _follow(self) -> None:
        """Keep the panel current on a background thread while the run has not ended (one thread at most)."""
        with self._lock:
            if (self._closed.is_set() or self.workflow_id is None or self._thread is not None
                    or views.is_terminal(self.status)):
                return
            self._thread = threading.Thread(target=self._run_follower, name="conductor-nb-panel", daemon=True)
            self._thread.start()

    def _run_follower(self) -> None:
        me = threading.current_thread()
        while True:
            stop = (self._closed.wait(self.interval) or self.widget.comm is None  # closed, here or in the front-end
                    or self.refresh() is None)  # an error, shown in the panel
            with self._lock:  # one decision under the lock: an action that sets the run going again sees no thread
                if stop or self.workflow_id is None or views.is_terminal(self.status):
                    if self._thread is me:
                        self._thread = None
                    return


class Launcher(_Shown):
    """The registered workflows (name, version, description) to pick from, above an ExecutionPanel: picking one
    shows its diagram and input form; Run starts it and the panel follows the run."""

    def __init__(self, client: Any = None, *, interval: float = INTERVAL_SECONDS):
        self.workflow_client, self.metadata_client = clients_of(client)
        self.definitions: list[WorkflowDef] = []
        self._title = w.HTML()
        self._picker = w.Select(options=[], rows=6, layout=w.Layout(width="100%", max_width="720px"))
        self._picker.add_class("conductor-nb-picker")
        reload = w.Button(icon="refresh", tooltip="read the registered workflows again", layout=w.Layout(width="auto"))
        reload.on_click(lambda _button: self.reload())
        self._message = w.HTML()
        self.panel = ExecutionPanel(None, (self.workflow_client, self.metadata_client), interval=interval)
        self._picker.observe(self._picked, names="value")
        row = w.HBox([self._picker, reload])
        row.add_class("conductor-nb-row")
        self.widget = w.VBox([self._title, row, self._message, self.panel.widget])
        self.widget.add_class("conductor-nb-launcher")
        self._reload_button = reload
        self.reload()

    def reload(self) -> list[WorkflowDef]:
        """Read the registered workflow definitions again (MetadataClient.get_all_workflow_defs)."""
        try:
            found = self.metadata_client.get_all_workflow_defs()
        except Exception as exc:
            self._message.value = views.message(views.error_text("Listing the workflows", exc), "error")
            return self.definitions
        self._message.value = ""
        self.definitions = sorted(found, key=lambda d: (d.name or "", -(d.version or 0)))
        chosen = self._picker.value
        self._picker.options = [(views.definition_label(d), (d.name, d.version)) for d in self.definitions]
        self._picker.rows = min(max(len(self.definitions), 2), 8)
        count = len(self.definitions)
        self._title.value = (f"<b style='font-size:14px'>Registered workflows</b> "
                             f"<span style='color:#607D8B;font-size:12px'>{count} definition"
                             f"{'' if count == 1 else 's'} · pick one, fill in its input and press Run</span>")
        keys = [(d.name, d.version) for d in self.definitions]
        if chosen in keys:
            self._picker.value = chosen
        elif keys:
            self._picker.value = keys[0]
        return self.definitions

    def select(self, name: str, version: Optional[int] = None) -> None:
        """Pick `name` (its latest version unless `version`), as a click in the list does."""
        for definition in self.definitions:
            if definition.name == name and (version is None or definition.version == version):
                self._picker.value = (definition.name, definition.version)
                return
        self._message.value = views.message(f"no registered workflow {name}"
                                            + (f" version {version}" if version is not None else ""), "error")

    def execute(self, workflow_input: Optional[dict] = None, correlation_id: Optional[str] = None) -> Optional[str]:
        """Run the picked workflow (the form's input unless given); the panel below follows it."""
        return self.panel.execute(workflow_input, correlation_id)

    def wait(self, timeout: float = 30) -> Optional[str]:
        """Block until the run ends (or `timeout` seconds pass), keeping the panel current; returns its status."""
        return self.panel.wait(timeout)

    def _static_parts(self) -> list[str]:
        listed = "".join(f"<li>{html.escape(views.definition_label(d))}</li>" for d in self.definitions)
        return [self._title.value, f"<ul style='font-size:12px;margin:4px 0'>{listed}</ul>", self._message.value,
                *self.panel._static_parts()]

    def close(self) -> None:
        """Stop the panel's refreshing and remove the launcher from the notebook."""
        self.panel.close()
        for part in [self.widget, *self.widget.children, self._picker, self._reload_button]:
            part.close()

    def __repr__(self) -> str:
        return f"<Launcher: {len(self.definitions)} registered workflows>"

    def _picked(self, change: dict) -> None:
        key = change.get("new")
        definition = next((d for d in self.definitions if (d.name, d.version) == key), None)
        if definition is not None:
            self.panel.show_definition(definition)


def _as_definition(subject: Any) -> Optional[WorkflowDef]:
    if subject is None or isinstance(subject, WorkflowDef):
        return subject
    if isinstance(subject, dict):
        return WorkflowDef.from_dict(subject)
    return subject.to_workflow_def()  # a ConductorWorkflow
