"""What an execution panel shows, as HTML and plain values: pure functions of a Workflow (or a WorkflowDef before
any run), with no widgets and no I/O. `widgets` puts them on screen and keeps them current.

    header(workflow)               name, version, id, status badge, tasks done, elapsed, reason
    diagram(workflow)              the diagram's SVG (diagrams.mimebundle), or the text outline and why
    task_table(workflow)           the tasks (records rows, tables.table)
    message(text, kind)            an inline note: "error", "ok" or "info"
    rerun_choices(workflow)        (label, task id) pairs for "rerun from", the start first
    input_template(definition)     a starting JSON input for the Execute form
    static_panel(parts)            the panel as plain HTML, for a saved notebook read without a kernel
"""

from __future__ import annotations

import html
import json
import time
from typing import Any, Optional

from ..models import WorkflowStatus
from . import records, tables
from .dot import STATUS_COLOURS, WORKFLOW_STATUS_AS_TASK

CSS_CLASS = "conductor-nb-panel"  # front-ends and tests find a panel, and its parts, by these classes
_DONE = {"COMPLETED", "COMPLETED_WITH_ERRORS", "SKIPPED", "CANCELED", *records.TASK_FAILED}
_TABLE_COLUMNS = ("seq", "reference_task_name", "task_type", "status", "retry_count", "worker_id", "start_time",
                  "duration", "reason_for_incompletion")
_MUTED = "#607D8B"
_MESSAGE_STYLES = {  # kind -> (background, border, text, mark)
    "error": ("#FFEBEE", "#E53935", "#B71C1C", "✖"),
    "ok": ("#E8F5E9", "#43A047", "#1B5E20", "✔"),
    "info": ("#E3F2FD", "#1E88E5", "#0D47A1", "ℹ"),
}
START = ""  # the "rerun from" choice that reruns the whole workflow


def is_terminal(status: Optional[str]) -> bool:
    try:
        return WorkflowStatus(status).is_terminal
    except ValueError:  # None, or a status this package does not know
        return False


def badge(status: str) -> str:
    """A workflow status as a coloured pill, in the diagram's colours (TERMINATED as CANCELED, PAUSED amber)."""
    fill, border, text = STATUS_COLOURS.get(WORKFLOW_STATUS_AS_TASK.get(status, status),
                                            ("#FAFAFA", "#CFD8DC", "#616161"))
    return (f"<span class='conductor-nb-status' data-status='{html.escape(status)}' style='background:{fill};"
            f"border:1px solid {border};color:{text};border-radius:10px;padding:1px 10px;font-weight:600;"
            f"font-size:12px;letter-spacing:.3px'>{html.escape(status)}</span>")


def header(workflow: Any = None, definition: Any = None, now_ms: Optional[float] = None) -> str:
    """The panel's first line: what runs and where it is. With no workflow, the definition waiting to be run."""
    if workflow is None:
        name = getattr(definition, "name", None) or "workflow"
        version = getattr(definition, "version", None)
        description = getattr(definition, "description", None)
        return _line(name, version, None, badge("NOT STARTED"),
                     html.escape(description) if description else "fill in the input and press Run")
    tasks = records.tasks_of(workflow)
    status = str(getattr(workflow, "status", None) or "RUNNING")
    done = sum(1 for t in tasks if t.status in _DONE)
    facts = f"{done}/{len(tasks)} tasks done · {_seconds(elapsed(workflow, now_ms))}"
    line = _line(name_of(workflow, tasks), version_of(workflow, tasks), getattr(workflow, "workflow_id", None),
                 badge(status), facts)
    reason = getattr(workflow, "reason_for_incompletion", None)
    if reason:
        line += (f"<div style='color:#B71C1C;font-size:12px;margin:2px 0 0 2px'>"
                 f"{html.escape(_cut(str(reason), 300))}</div>")
    return line


def _line(name: str, version: Any, workflow_id: Optional[str], status: str, facts: str) -> str:
    parts = [f"<span style='font-weight:600;font-size:14px'>{html.escape(name)}</span>"]
    if version is not None:
        parts.append(f"<span style='color:{_MUTED}'>v{html.escape(str(version))}</span>")
    if workflow_id:
        parts.append(f"<code class='conductor-nb-id' style='font-size:11px;color:{_MUTED}'>"
                     f"{html.escape(workflow_id)}</code>")
    parts += [status, f"<span style='color:{_MUTED};font-size:12px'>{facts}</span>"]
    return ("<div style='display:flex;flex-wrap:wrap;align-items:center;gap:8px;line-height:22px'>"
            + "".join(parts) + "</div>")


def name_of(workflow: Any, tasks: Optional[list] = None) -> str:
    tasks = records.tasks_of(workflow) if tasks is None else tasks
    return (getattr(workflow, "workflow_name", None)
            or getattr(getattr(workflow, "workflow_definition", None), "name", None)
            or next((t.workflow_type for t in tasks if t.workflow_type), None) or "workflow")


def version_of(workflow: Any, tasks: Optional[list] = None) -> Optional[int]:
    return (getattr(workflow, "workflow_version", None)
            or getattr(getattr(workflow, "workflow_definition", None), "version", None))


def elapsed(workflow: Any, now_ms: Optional[float] = None) -> Optional[float]:
    """Seconds from the start to the end (or to now while it runs); None before it started."""
    start = getattr(workflow, "start_time", None) or getattr(workflow, "create_time", None)
    if not start:
        return None
    end = getattr(workflow, "end_time", None)
    if not end and is_terminal(getattr(workflow, "status", None)):
        end = getattr(workflow, "update_time", None)
    return max(0.0, ((end or (now_ms if now_ms is not None else time.time() * 1000)) - start) / 1000)


def _seconds(value: Optional[float]) -> str:
    if value is None:
        return "not started"
    if value < 120:
        return f"{value:.1f} s"
    minutes, seconds = divmod(int(value), 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min {seconds} s"


def diagram(subject: Any, bundle: Optional[dict] = None, **options: Any) -> str:
    """The diagram as inline SVG in a scrolling box; the text outline (and the reason) when none can be drawn."""
    if bundle is None:
        from .diagrams import mimebundle

        bundle = mimebundle(subject, **options)
    svg = bundle.get("image/svg+xml")
    if svg:
        body = svg
    else:
        body = (f"<pre style='font-size:12px;margin:0'>{html.escape(str(bundle.get('text/plain', '')))}</pre>")
    return (f"<div class='conductor-nb-diagram' style='overflow:auto;max-height:560px;padding:4px 0'>"
            f"{body}</div>")


def task_table(workflow: Any) -> str:
    """The execution's tasks in order: status, retries, worker, times (the rows of `records`)."""
    tasks = records.tasks_of(workflow)
    by_name = {c.name: c for c in records.TASK_COLUMNS}
    columns = [by_name[n] for n in _TABLE_COLUMNS if n in by_name]
    if not tasks:
        return f"<div style='color:{_MUTED};font-size:12px'>no tasks scheduled yet</div>"
    return (f"<div class='conductor-nb-tasks' style='overflow-x:auto'>"
            f"{tables.table(records.rows(tasks, records.TASK_COLUMNS), columns, f'{len(tasks)} tasks')}</div>")


def static_panel(parts: list[str]) -> str:
    """What a panel shows (its header, message, diagram, tasks...) in one bordered box of HTML, with no widgets."""
    return ("<div class='conductor-nb-static' style='border:1px solid #CFD8DC;border-radius:6px;"
            "padding:8px 10px'>" + "".join(part for part in parts if part) + "</div>")


def message(text: str = "", kind: str = "info") -> str:
    """A one-line note under the buttons: what an action did, or the error it met (never a traceback)."""
    if not text:
        return ""
    fill, border, colour, mark = _MESSAGE_STYLES.get(kind, _MESSAGE_STYLES["info"])
    return (f"<div class='conductor-nb-message conductor-nb-{kind}' style='background:{fill};"
            f"border-left:4px solid {border};color:{colour};padding:4px 10px;font-size:12px;border-radius:2px;"
            f"white-space:pre-wrap'>{mark} {html.escape(_cut(text, 2000))}</div>")


def error_text(action: str, error: BaseException) -> str:
    """`Terminate failed: ConflictError (409): Cannot terminate a COMPLETED workflow: ...`."""
    status = getattr(error, "status", None)
    kind = type(error).__name__ + (f" ({status})" if isinstance(status, int) else "")
    detail = getattr(error, "message", None) or str(error) or repr(error)
    fields = [f"{v.path}: {v.message}" for v in getattr(error, "validation_errors", None) or []
              if f"{v.path}: {v.message}" not in detail]
    return f"{action} failed: {kind}: {detail}" + ("".join(f"\n  {f}" for f in fields))


def _latest_attempts(workflow: Any) -> dict[str, Any]:
    """Reference name -> its latest task (seq order: a retry or an iteration replaces the earlier attempt)."""
    latest: dict[str, Any] = {}
    for task in records.tasks_of(workflow):
        if task.reference_task_name and task.task_id:
            latest[task.reference_task_name] = task
    return latest


def rerun_choices(workflow: Any) -> list[tuple[str, str]]:
    """What "rerun from" offers: the start, then each task (latest attempt of each reference) in order."""
    choices = [("the start", START)]
    for ref, task in _latest_attempts(workflow).items():
        choices.append((f"{ref} ({task.task_type or '?'}, {task.status or '?'})", task.task_id))
    return choices


def default_rerun_choice(workflow: Any) -> str:
    """The first task whose latest attempt failed (what one usually reruns from), else the start."""
    for task in _latest_attempts(workflow).values():
        if task.status in records.TASK_FAILED:
            return task.task_id
    return START


def input_template(definition: Any = None, workflow: Any = None) -> str:
    """The Execute form's starting text: the run's own input, else the definition's input template with each
    input parameter (null when it has no default), as pretty JSON."""
    if workflow is not None and getattr(workflow, "input", None):
        return json.dumps(workflow.input, indent=2, sort_keys=True, default=str)
    data: dict[str, Any] = dict(getattr(definition, "input_template", None) or {})
    for name in getattr(definition, "input_parameters", None) or []:
        data.setdefault(str(name), None)
    return json.dumps(data, indent=2, default=str)


def parse_input(text: str) -> dict:
    """The Execute form's JSON as a dict; ValueError saying what is wrong otherwise."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the input is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f"the input must be a JSON object ({{...}}), not {type(value).__name__}")
    return value


def fingerprint(workflow: Any) -> tuple:
    """What the diagram and the table depend on: they are redrawn only when this changes."""
    tasks = records.tasks_of(workflow)
    return (getattr(workflow, "workflow_id", None), getattr(workflow, "status", None),
            getattr(workflow, "reason_for_incompletion", None),
            tuple((t.task_id, t.status, t.retry_count, t.poll_count, t.worker_id, t.start_time, t.end_time,
                   t.update_time) for t in tasks))


def definition_label(definition: Any) -> str:
    """How the launcher lists a definition: `name  v2  — description`."""
    description = getattr(definition, "description", None)
    text = f"{definition.name}  v{definition.version if definition.version is not None else 1}"
    return text + (f"  — {_cut(description, 80)}" if description else "")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
