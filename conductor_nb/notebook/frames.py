"""Search results, an execution's tasks, queue sizes and run statistics as typed pandas DataFrames.

Times are `datetime64[ns, UTC]`, durations `timedelta64[ns]`, statuses and task types categoricals over
Conductor's vocabularies, counts nullable `Int64`, text the `string` dtype. Every function takes a `source` first:
None (the notebook's current configuration), a Configuration, a client, a WorkflowExecutor, OrkesClients or a
ConductorAPI.

    workflows(query="status = 'FAILED'")      # one row per execution found
    tasks(run)                                # one row per task of an execution (a Workflow, WorkflowRun or id)
    task_search(query="taskType = 'greet'")   # one row per task found across executions
    queue_sizes()                             # tasks waiting per task type, and who polled last
    workflow_stats(), task_stats()            # count, failures, p50/p95 durations per workflow / task type
    search_frame(result)                      # any SearchResult you already have
"""

from __future__ import annotations

from typing import Any, Optional

import pandas as pd

from ..models import SearchResult
from . import records
from .connection import api_of
from .records import Column

PAGE = 1000  # search page size; Conductor answers at most 5000 hits per request

_DTYPES = {
    "str": "string", "int": "Int64", "bool": "boolean", "time": "datetime64[ns, UTC]",
    "duration": "timedelta64[ns]",
}


def frame(rows: list[dict[str, Any]], columns: list[Column]) -> pd.DataFrame:
    """A DataFrame of `rows` (from `records.rows`) with each column typed by its kind."""
    data = {}
    for column in columns:
        values = [row.get(column.name) for row in rows]
        data[column.name] = _series(values, column.kind)
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def _series(values: list[Any], kind: str) -> pd.Series:
    if kind in records.VOCABULARIES:
        known = records.VOCABULARIES[kind]
        extra = sorted({v for v in values if v is not None and v not in known})  # from a newer server: kept
        return pd.Series(pd.Categorical(values, categories=[*known, *extra]))
    if kind == "time":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), utc=True), dtype=_DTYPES[kind])
    if kind == "duration":
        return pd.Series(pd.to_timedelta(pd.Series(values, dtype=object)), dtype=_DTYPES[kind])
    return pd.Series(values, dtype=_DTYPES[kind])


# -- search -----------------------------------------------------------------------------------------------------------

def search_frame(result: SearchResult, kind: Optional[str] = None) -> pd.DataFrame:
    """A SearchResult of workflow or task summaries as a DataFrame; `kind` ("workflow" or "task") is read from
    the hits unless given (an empty result has the workflow columns)."""
    items, columns = records.summaries(result, kind)
    return frame(records.rows(items, columns), columns)


def workflows(source: Any = None, query: Optional[str] = None, free_text: str = "*", *, size: int = 1000,
              sort: Optional[str] = "startTime:DESC") -> pd.DataFrame:
    """Executions matching Conductor's search `query` / `free_text`, newest first, at most `size` of them."""
    api = api_of(source)
    return search_frame(_search(api.search_workflows, query, free_text, size, sort), "workflow")


def task_search(source: Any = None, query: Optional[str] = None, free_text: str = "*", *, size: int = 1000,
                sort: Optional[str] = "updateTime:DESC") -> pd.DataFrame:
    """Tasks of any execution matching the search, most recently updated first, at most `size` of them."""
    api = api_of(source)
    return search_frame(_search(api.search_tasks, query, free_text, size, sort), "task")


def _search(search: Any, query: Optional[str], free_text: str, size: int, sort: Optional[str]) -> SearchResult:
    """Page through a search until `size` hits (or all of them) are collected."""
    hits: list[Any] = []
    total = None
    while len(hits) < size:
        page = search(start=len(hits), size=min(PAGE, size - len(hits)), sort=sort, free_text=free_text,
                      query=query)
        total = page.total_hits
        hits.extend(page.results or [])
        if not page.results or (total is not None and len(hits) >= total):
            break
    return SearchResult(total_hits=total, results=hits)


# -- one execution ----------------------------------------------------------------------------------------------------

def tasks(workflow: Any, source: Any = None) -> pd.DataFrame:
    """The tasks of one execution, in order: status, retries, worker, queue wait and run durations.

    `workflow` is a Workflow, a WorkflowRun, or a workflow id (fetched through `source`).
    """
    if isinstance(workflow, str):
        workflow = api_of(source).get_workflow(workflow, include_tasks=True)
    return frame(records.rows(records.tasks_of(workflow), records.TASK_COLUMNS), records.TASK_COLUMNS)


# -- queues -----------------------------------------------------------------------------------------------------------

QUEUE_COLUMNS = [Column(name, kind, records.attr(name)) for name, kind in
                 (("task_type", "str"), ("queued", "int"), ("last_poll_time", "time"), ("last_worker", "str"))]


def queue_sizes(source: Any = None, task_types: Optional[list[str]] = None) -> pd.DataFrame:
    """Tasks waiting per task type, with when a worker last polled it and which one.

    Without `task_types`: every registered task definition and every `@worker_task` of this process.
    """
    api = api_of(source)
    if task_types is None:
        from ..worker.worker import decorated_workers

        names = [d.name for d in api.get_all_task_defs()] + [w.task_definition_name for w in decorated_workers()]
        task_types = sorted(set(names))
    sizes = api.get_queue_sizes(list(task_types)) if task_types else {}
    rows = []
    for name in task_types:
        polls = [p for p in api.get_poll_data(name) if p.last_poll_time]
        last = max(polls, key=lambda p: p.last_poll_time, default=None)
        rows.append({"task_type": name, "queued": int(sizes.get(name) or 0),
                     "last_poll_time": records.time(last.last_poll_time) if last else None,
                     "last_worker": last.worker_id if last else None})
    return frame(rows, QUEUE_COLUMNS)


# -- statistics -------------------------------------------------------------------------------------------------------

def workflow_stats(source: Any = None, query: Optional[str] = None, *, size: int = 5000) -> pd.DataFrame:
    """Per workflow type: runs, running, completed, failed (FAILED, TIMED_OUT, TERMINATED), failure rate of the
    finished ones, and p50 / p95 / max duration of the finished ones.

    `source` may also be a DataFrame from `workflows()`, to summarise what you already fetched.
    """
    found = source if isinstance(source, pd.DataFrame) else workflows(source, query, size=size)
    status = found["status"].astype("string")
    flags = pd.DataFrame({
        "workflow_type": found["workflow_type"],
        "running": status.isin(["RUNNING", "PAUSED"]),
        "completed": status.eq("COMPLETED"),
        "failed": status.isin(records.WORKFLOW_FAILED),
    })
    return _stats(flags, found["duration"], "workflow_type",
                  finished=lambda g: g["completed"] + g["failed"])


def task_stats(source: Any = None, query: Optional[str] = None, *, size: int = 5000) -> pd.DataFrame:
    """Per task name and type: runs, failed (FAILED, FAILED_WITH_TERMINAL_ERROR, TIMED_OUT), failure rate, and
    p50 / p95 / max of run duration and of queue wait.

    `source` may also be a DataFrame from `task_search()` or `tasks()`.
    """
    found = source if isinstance(source, pd.DataFrame) else task_search(source, query, size=size)
    status = found["status"].astype("string")
    flags = pd.DataFrame({
        "task_def_name": found["task_def_name"],
        "task_type": found["task_type"].astype("string"),
        "completed": status.eq("COMPLETED"),
        "failed": status.isin(records.TASK_FAILED),
    })
    stats = _stats(flags, found["duration"], ["task_def_name", "task_type"],
                   finished=lambda g: g["completed"] + g["failed"])
    waits = _quantiles(found["queue_wait"], [flags["task_def_name"], flags["task_type"]], "queue_wait")
    return stats.join(waits)


def _stats(flags: pd.DataFrame, durations: pd.Series, by: Any, finished: Any) -> pd.DataFrame:
    keys = [by] if isinstance(by, str) else list(by)
    groups = flags.groupby(keys, observed=True, dropna=False)
    counts = groups.size().rename("runs").to_frame()
    sums = groups[[c for c in flags.columns if c not in keys]].sum().astype("Int64")
    table = counts.astype("Int64").join(sums)
    done = finished(table)
    table["failure_rate"] = (table["failed"] / done.where(done > 0)).astype("Float64")
    return table.join(_quantiles(durations, [flags[k] for k in keys], "duration"))


def _quantiles(values: pd.Series, by: list[pd.Series], name: str) -> pd.DataFrame:
    """p50, p95 and max of a timedelta column per group, as timedeltas (NaT where a group has none)."""
    seconds = values.dt.total_seconds()
    groups = seconds.groupby(by, observed=True, dropna=False)
    table = pd.DataFrame({f"p50_{name}": groups.quantile(0.5), f"p95_{name}": groups.quantile(0.95),
                          f"max_{name}": groups.max()})
    return table.apply(lambda s: pd.to_timedelta(s, unit="s"))
