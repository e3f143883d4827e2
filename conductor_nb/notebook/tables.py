"""HTML for notebooks: a SearchResult as a table, an execution as its diagram above its tasks. No pandas needed.

Both functions never raise: a display must not break a cell (they return None when nothing can be shown, and
IPython then falls back to the next representation).
"""

from __future__ import annotations

import datetime
import html
from typing import Any, Optional

from . import records
from .dot import STATUS_COLOURS, WORKFLOW_STATUS_AS_TASK
from .records import Column

MAX_ROWS = 200
_SHOWN = {  # the columns worth a glance in a notebook, per kind of row
    "workflow": ("workflow_id", "workflow_type", "version", "status", "start_time", "duration",
                 "correlation_id", "reason_for_incompletion"),
    "task": ("task_id", "workflow_id", "task_def_name", "task_type", "status", "start_time", "queue_wait",
             "duration", "reason_for_incompletion"),
    "execution": ("seq", "reference_task_name", "task_type", "status", "retry_count", "worker_id", "start_time",
                  "queue_wait", "duration", "reason_for_incompletion"),
}
_STYLE = ("border-collapse:collapse;font-size:12px;font-family:var(--jp-code-font-family,monospace)")
_CELL = "padding:2px 8px;border-bottom:1px solid #ECEFF1;text-align:left;white-space:nowrap"


def search_result_html(result: Any) -> Optional[str]:
    """A SearchResult of workflow or task summaries as a table, with how many hits there are in all."""
    try:
        items, columns = records.summaries(result)
        kind = "task" if columns is records.TASK_SUMMARY_COLUMNS else "workflow"
        total = getattr(result, "total_hits", None)
        caption = f"{len(items)} of {total if total is not None else len(items)} {kind}s found"
        return table(records.rows(items, columns), _pick(columns, _SHOWN[kind]), caption)
    except Exception:
        return None


def execution_html(workflow: Any, svg: Optional[str] = None) -> Optional[str]:
    """An execution (Workflow or WorkflowRun): a headline, its diagram `svg` if given, and its tasks."""
    try:
        tasks = records.tasks_of(workflow)
        name = (getattr(workflow, "workflow_name", None)
                or getattr(getattr(workflow, "workflow_definition", None), "name", None)
                or next((t.workflow_type for t in tasks if t.workflow_type), None) or "workflow")
        status = str(getattr(workflow, "status", "") or "")
        head = (f"<div style='margin:4px 0'><b>{html.escape(name)}</b> "
                f"<code>{html.escape(str(getattr(workflow, 'workflow_id', '') or ''))}</code> "
                f"{_status_badge(status, workflow=True)}</div>")
        body = table(records.rows(tasks, records.TASK_COLUMNS), _pick(records.TASK_COLUMNS, _SHOWN["execution"]),
                     f"{len(tasks)} tasks")
        return head + (f"<div>{svg}</div>" if svg else "") + body
    except Exception:
        return None


def table(rows: list[dict[str, Any]], columns: list[Column], caption: str = "") -> str:
    """An HTML table of `rows` showing `columns`, at most MAX_ROWS rows."""
    head = "".join(f"<th style='{_CELL}'>{html.escape(c.name)}</th>" for c in columns)
    body = []
    for row in rows[:MAX_ROWS]:
        cells = "".join(f"<td style='{_CELL}'>{_cell(row.get(c.name), c.kind)}</td>" for c in columns)
        body.append(f"<tr>{cells}</tr>")
    if len(rows) > MAX_ROWS:
        body.append(f"<tr><td colspan='{len(columns)}' style='{_CELL}'>… {len(rows) - MAX_ROWS} more</td></tr>")
    cap = f"<caption style='text-align:left;color:#546E7A'>{html.escape(caption)}</caption>" if caption else ""
    return (f"<table class='conductor-nb' style='{_STYLE}'>{cap}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _pick(columns: list[Column], names: tuple[str, ...]) -> list[Column]:
    by_name = {c.name: c for c in columns}
    return [by_name[n] for n in names if n in by_name]


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind.endswith("_status"):
        return _status_badge(str(value), workflow=kind == "workflow_status")
    if isinstance(value, datetime.datetime):
        return html.escape(value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC")
    if isinstance(value, datetime.timedelta):
        return html.escape(_duration(value))
    text = str(value)
    return html.escape(text if len(text) <= 120 else text[:117] + "...")


def _duration(value: datetime.timedelta) -> str:
    seconds = value.total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return str(datetime.timedelta(seconds=round(seconds)))


def _status_badge(status: str, workflow: bool = False) -> str:
    as_task = WORKFLOW_STATUS_AS_TASK.get(status, status) if workflow else status
    fill, border, text = STATUS_COLOURS.get(as_task, ("#FAFAFA", "#CFD8DC", "#616161"))
    return (f"<span style='background:{fill};border:1px solid {border};color:{text};border-radius:3px;"
            f"padding:0 4px'>{html.escape(status)}</span>")
