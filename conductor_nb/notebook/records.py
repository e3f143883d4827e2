"""Rows of plain Python values from search results and executions: the one place that decides which columns a
table of workflows or tasks has and what each value means. `frames` types them as DataFrame columns; `tables`
renders them as HTML. No pandas here.

Each column has a kind: "str", "int", "bool", "time" (an aware UTC datetime), "duration" (a timedelta) or
"workflow_status" / "task_status" / "task_type" (Conductor's vocabularies, categorical in a DataFrame).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from ..models import SearchResult, Task, TaskStatus, TaskSummary, TaskType, Workflow, WorkflowStatus, WorkflowSummary

UTC = datetime.timezone.utc

# The vocabularies, in Conductor's order (aliases dropped): the categories of categorical columns.
VOCABULARIES: dict[str, list[str]] = {
    "workflow_status": list(dict.fromkeys(s.value for s in WorkflowStatus)),
    "task_status": list(dict.fromkeys(s.value for s in TaskStatus)),
    "task_type": list(dict.fromkeys(t.value for t in TaskType)),
}
WORKFLOW_FAILED = ("FAILED", "TIMED_OUT", "TERMINATED")
TASK_FAILED = ("FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    value: Callable[[Any], Any]  # the model -> the raw value, converted by the kind


def time(value: Any) -> Optional[datetime.datetime]:
    """Epoch milliseconds (int or digits) or an ISO-8601 string -> aware UTC datetime; None/0/"" -> None."""
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        ms = int(value)
        return datetime.datetime.fromtimestamp(ms / 1000, tz=UTC) if ms > 0 else None
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def duration(ms: Any) -> Optional[datetime.timedelta]:
    """Milliseconds -> timedelta (None stays None)."""
    if ms is None or ms == "":
        return None
    return datetime.timedelta(milliseconds=int(ms))


def _between(start: Any, end: Any) -> Optional[datetime.timedelta]:
    """end - start when both are set (epoch ms or ISO), else None."""
    a, b = time(start), time(end)
    return b - a if a is not None and b is not None and b >= a else None


def _str(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) or None
    return str(value)


def _int(value: Any) -> Optional[int]:
    return None if value is None or value == "" else int(value)


CONVERT: dict[str, Callable[[Any], Any]] = {
    "str": _str, "int": _int, "bool": lambda v: None if v is None else bool(v), "time": time,
    "duration": lambda v: v if v is None or isinstance(v, datetime.timedelta) else duration(v),
    "workflow_status": _str, "task_status": _str, "task_type": _str,
}


def attr(name: str) -> Callable[[Any], Any]:
    return lambda obj: getattr(obj, name, None)


def _summary_duration(s: Any) -> Any:
    """A summary's executionTime, when the run has ended (it is 0 while running)."""
    return s.execution_time if s.end_time and s.execution_time is not None else None


WORKFLOW_SUMMARY_COLUMNS = [
    Column("workflow_id", "str", attr("workflow_id")),
    Column("workflow_type", "str", attr("workflow_type")),
    Column("version", "int", attr("version")),
    Column("status", "workflow_status", attr("status")),
    Column("start_time", "time", attr("start_time")),
    Column("end_time", "time", attr("end_time")),
    Column("duration", "duration", _summary_duration),
    Column("correlation_id", "str", attr("correlation_id")),
    Column("reason_for_incompletion", "str", attr("reason_for_incompletion")),
    Column("failed_task_names", "str", attr("failed_task_names")),
    Column("priority", "int", attr("priority")),
    Column("parent_workflow_id", "str", lambda s: s.parent_workflow_id or None),
    Column("update_time", "time", attr("update_time")),
    Column("input", "str", attr("input")),
    Column("output", "str", attr("output")),
]

TASK_SUMMARY_COLUMNS = [
    Column("task_id", "str", attr("task_id")),
    Column("workflow_id", "str", attr("workflow_id")),
    Column("workflow_type", "str", attr("workflow_type")),
    Column("task_def_name", "str", attr("task_def_name")),
    Column("task_type", "task_type", attr("task_type")),
    Column("status", "task_status", attr("status")),
    Column("scheduled_time", "time", attr("scheduled_time")),
    Column("start_time", "time", attr("start_time")),
    Column("end_time", "time", attr("end_time")),
    Column("queue_wait", "duration", lambda s: s.queue_wait_time if s.start_time else None),
    Column("duration", "duration", _summary_duration),
    Column("domain", "str", attr("domain")),
    Column("reason_for_incompletion", "str", attr("reason_for_incompletion")),
    Column("update_time", "time", attr("update_time")),
    Column("input", "str", attr("input")),
    Column("output", "str", attr("output")),
]

TASK_COLUMNS = [  # the tasks of one execution
    Column("seq", "int", attr("seq")),
    Column("reference_task_name", "str", attr("reference_task_name")),
    Column("task_def_name", "str", attr("task_def_name")),
    Column("task_type", "task_type", attr("task_type")),
    Column("status", "task_status", attr("status")),
    Column("retry_count", "int", lambda t: t.retry_count or 0),
    Column("poll_count", "int", lambda t: t.poll_count or 0),
    Column("worker_id", "str", attr("worker_id")),
    Column("scheduled_time", "time", attr("scheduled_time")),
    Column("start_time", "time", attr("start_time")),
    Column("end_time", "time", attr("end_time")),
    Column("queue_wait", "duration", lambda t: _between(t.scheduled_time, t.start_time)),
    Column("duration", "duration", lambda t: _between(t.start_time, t.end_time)),
    Column("reason_for_incompletion", "str", attr("reason_for_incompletion")),
    Column("domain", "str", attr("domain")),
    Column("iteration", "int", lambda t: t.iteration or None),
    Column("retried", "bool", lambda t: bool(t.retried)),
    Column("task_id", "str", attr("task_id")),
]


def rows(items: Iterable[Any], columns: list[Column]) -> list[dict[str, Any]]:
    """One dict per item, column name -> converted value."""
    return [{c.name: CONVERT[c.kind](c.value(item)) for c in columns} for item in items]


def summaries(result: Any, kind: Optional[str] = None) -> tuple[list[Any], list[Column]]:
    """The hits of a SearchResult (or a list of summaries, or their JSON) as models, with their columns.

    `kind` is "workflow" or "task"; by default it is read from the hits (workflow when there are none).
    """
    items = list((result.results or []) if isinstance(result, SearchResult) else result or [])
    if kind is None:
        kind = "task" if any(isinstance(i, TaskSummary) or (isinstance(i, dict) and "taskId" in i)
                             for i in items) else "workflow"
    model, columns = (TaskSummary, TASK_SUMMARY_COLUMNS) if kind == "task" else \
        (WorkflowSummary, WORKFLOW_SUMMARY_COLUMNS)
    return [model.from_dict(i) if isinstance(i, dict) else i for i in items], columns


def tasks_of(workflow: Any) -> list[Task]:
    """An execution's tasks in order of `seq` (a Workflow, a WorkflowRun or their JSON)."""
    if isinstance(workflow, dict):
        workflow = Workflow.from_dict(workflow)
    found = [t if isinstance(t, Task) else Task.from_dict(t) for t in (getattr(workflow, "tasks", None) or [])]
    return sorted(found, key=lambda t: t.seq if t.seq is not None else 0)
