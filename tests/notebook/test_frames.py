"""DataFrames of real executions on the embedded engine (a SQLite file): dtypes and values of searches, an
execution's tasks, queue sizes and run statistics; the HTML tables notebooks show."""

from __future__ import annotations

import datetime
import time

import pytest

pd = pytest.importorskip("pandas")

from conductor_nb import (  # noqa: E402
    ConductorWorkflow,
    NonRetryableException,
    SearchResult,
    SimpleTask,
    TaskDef,
    TaskHandler,
    Worker,
)
from conductor_nb.notebook import frames, tables  # noqa: E402

UTC_TIME = "datetime64[ns, UTC]"
DURATION = "timedelta64[ns]"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Four executions on one SQLite file: three that complete (one after a retry), one that fails for good."""
    from conductor_nb import Configuration, WorkflowExecutor

    config = Configuration(db_path=str(tmp_path_factory.mktemp("frames") / "conductor.db"))
    executor = WorkflowExecutor(configuration=config)
    executor.metadata_client.register_task_def(TaskDef(name="fr_flaky", retry_count=1, retry_delay_seconds=0))
    attempts = []

    def slow(x: int) -> dict:
        time.sleep(0.05)
        return {"y": x * 2}

    def flaky(x: int) -> dict:
        attempts.append(x)
        if len(attempts) == 1:
            raise RuntimeError("first attempt fails")
        return {"z": x}

    def broken(x: int) -> dict:
        raise NonRetryableException("cannot do it")

    ok = ConductorWorkflow(executor=executor, name="fr_ok", version=1)
    ok >> SimpleTask("fr_slow", "slow_ref").input(key="x", value=ok.input("x"))
    ok >> SimpleTask("fr_flaky", "flaky_ref").input(key="x", value=ok.input("x"))
    bad = ConductorWorkflow(executor=executor, name="fr_bad", version=2)
    bad >> SimpleTask("fr_broken", "broken_ref").input(key="x", value=1)
    workers = [Worker("fr_slow", slow, worker_id="slow-worker"), Worker("fr_flaky", flaky),
               Worker("fr_broken", broken)]
    with TaskHandler(workers=workers, configuration=config, scan_for_annotated_workers=False) as handler:
        handler.start_processes()
        done = [ok.execute({"x": i}) for i in range(3)] + [bad.execute({})]
    assert [r.status for r in done] == ["COMPLETED"] * 3 + ["FAILED"]
    return executor, done


def test_workflows_has_typed_columns_and_the_runs(runs):
    executor, done = runs
    df = frames.workflows(executor, query="workflowType IN (fr_ok, fr_bad)")
    assert len(df) == 4
    assert str(df["start_time"].dtype) == UTC_TIME and str(df["end_time"].dtype) == UTC_TIME
    assert str(df["duration"].dtype) == DURATION
    assert isinstance(df["status"].dtype, pd.CategoricalDtype)
    assert {"RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED", "PAUSED"} <= set(df["status"].cat.categories)
    assert str(df["version"].dtype) == "Int64" and str(df["workflow_id"].dtype) == "string"

    by_id = df.set_index("workflow_id")
    assert set(by_id.index) == {r.workflow_id for r in done}
    failed = by_id.loc[done[3].workflow_id]
    assert failed["status"] == "FAILED" and failed["workflow_type"] == "fr_bad" and failed["version"] == 2
    assert failed["reason_for_incompletion"] and "cannot do it" in failed["reason_for_incompletion"]
    assert failed["failed_task_names"] == "fr_broken"
    first = by_id.loc[done[0].workflow_id]
    assert first["duration"] >= pd.Timedelta(milliseconds=50)
    assert first["end_time"] - first["start_time"] == first["duration"]
    now = pd.Timestamp.now(tz="UTC")
    assert (now - df["start_time"] < pd.Timedelta(minutes=5)).all()
    assert df["start_time"].is_monotonic_decreasing  # newest first

    only_failed = frames.workflows(executor, query="status = 'FAILED'")
    assert list(only_failed["workflow_id"]) == [done[3].workflow_id]


def test_tasks_of_an_execution(runs):
    executor, done = runs
    df = frames.tasks(done[0])
    assert list(df["reference_task_name"]) == ["slow_ref", "flaky_ref", "flaky_ref"]
    assert list(df["status"].astype(str)) == ["COMPLETED", "FAILED", "COMPLETED"]
    assert list(df["retry_count"]) == [0, 0, 1]
    assert str(df["retry_count"].dtype) == "Int64" and str(df["seq"].dtype) == "Int64"
    assert isinstance(df["status"].dtype, pd.CategoricalDtype)
    assert str(df["scheduled_time"].dtype) == UTC_TIME
    assert str(df["queue_wait"].dtype) == DURATION and str(df["duration"].dtype) == DURATION
    assert df.loc[0, "worker_id"] == "slow-worker"
    assert df.loc[0, "duration"] >= pd.Timedelta(milliseconds=50)
    assert (df["queue_wait"] >= pd.Timedelta(0)).all()
    assert df.loc[1, "reason_for_incompletion"] == "first attempt fails"
    assert str(df["retried"].dtype) == "boolean" and bool(df.loc[1, "retried"])

    # by id, through any source, gives the same frame
    by_id = frames.tasks(done[0].workflow_id, executor)
    pd.testing.assert_frame_equal(by_id, frames.tasks(executor.get_workflow(done[0].workflow_id)))


def test_task_search(runs):
    executor, done = runs
    df = frames.task_search(executor, query="taskType = 'fr_flaky'")
    assert len(df) == 4  # three runs, the first attempt of the first retried once
    assert str(df["scheduled_time"].dtype) == UTC_TIME and str(df["duration"].dtype) == DURATION
    assert isinstance(df["task_type"].dtype, pd.CategoricalDtype) and "SIMPLE" in df["task_type"].cat.categories
    assert sorted(df["status"].astype(str)) == ["COMPLETED"] * 3 + ["FAILED"]
    assert (df["duration"].dropna() >= pd.Timedelta(0)).all() and df["duration"].notna().all()
    assert set(df["workflow_id"]) == {r.workflow_id for r in done[:3]}


def test_statistics_per_workflow_and_task_type(runs):
    executor, done = runs
    stats = frames.workflow_stats(executor, query="workflowType IN (fr_ok, fr_bad)")
    assert list(stats.index) == ["fr_bad", "fr_ok"]
    assert stats.loc["fr_ok", "runs"] == 3 and stats.loc["fr_ok", "completed"] == 3
    assert stats.loc["fr_bad", "failed"] == 1 and stats.loc["fr_bad", "failure_rate"] == 1.0
    assert stats.loc["fr_ok", "failure_rate"] == 0.0
    assert str(stats["p50_duration"].dtype) == DURATION and str(stats["runs"].dtype) == "Int64"
    durations = frames.workflows(executor, query="workflowType = 'fr_ok'")["duration"]
    assert stats.loc["fr_ok", "p50_duration"] == durations.median()
    ok = stats.loc["fr_ok"]
    assert ok["p50_duration"] <= ok["p95_duration"] <= ok["max_duration"]

    per_task = frames.task_stats(executor).droplevel("task_type")
    assert per_task.loc["fr_flaky", "runs"] == 4 and per_task.loc["fr_flaky", "failed"] == 1
    assert per_task.loc["fr_flaky", "failure_rate"] == 0.25
    assert per_task.loc["fr_slow", "p50_duration"] >= pd.Timedelta(milliseconds=50)
    assert str(per_task["p95_queue_wait"].dtype) == DURATION
    # from a frame already fetched: the tasks of one execution
    one = frames.task_stats(frames.tasks(done[0])).droplevel("task_type")
    assert one.loc["fr_flaky", "runs"] == 2


def test_queue_sizes(runs):
    executor, _ = runs
    wf = ConductorWorkflow(executor=executor, name="fr_waiting", version=1)
    wf >> SimpleTask("fr_nobody", "nobody_ref")
    for _ in range(2):
        wf.start_workflow_with_input({})
    df = frames.queue_sizes(executor, ["fr_nobody", "fr_slow"])
    assert list(df["task_type"]) == ["fr_nobody", "fr_slow"]
    assert list(df["queued"]) == [2, 0] and str(df["queued"].dtype) == "Int64"
    assert str(df["last_poll_time"].dtype) == UTC_TIME
    assert pd.isna(df.loc[0, "last_poll_time"]) and df.loc[1, "last_worker"] == "slow-worker"
    assert "fr_flaky" in set(frames.queue_sizes(executor)["task_type"])  # registered task definitions


def test_search_frame_and_empty_results(runs):
    executor, _ = runs
    result = executor.workflow_client.api.search_workflows(query="workflowType = 'fr_ok'")
    assert len(frames.search_frame(result)) == 3
    empty = frames.search_frame(SearchResult(total_hits=0, results=[]))
    assert len(empty) == 0 and str(empty["start_time"].dtype) == UTC_TIME
    assert "task_id" in frames.search_frame(SearchResult(results=[]), kind="task").columns
    # a status this package does not know (a newer server) is kept as a category of its own
    future = frames.search_frame(SearchResult(results=[{"workflowId": "w", "status": "ARCHIVED"}]))
    assert future.loc[0, "status"] == "ARCHIVED"


def test_html_tables(runs):
    executor, done = runs
    api = executor.workflow_client.api
    html = tables.search_result_html(api.search_workflows(size=2, query="workflowType = 'fr_ok'"))
    assert html.startswith("<table") and "2 of 3 workflows found" in html and "fr_ok" in html
    html = tables.search_result_html(api.search_tasks(query="taskType = 'fr_broken'"))
    assert "1 of 1 tasks found" in html and "FAILED_WITH_TERMINAL_ERROR" in html
    execution = tables.execution_html(executor.get_workflow(done[0].workflow_id), "<svg>x</svg>")
    assert "<svg>x</svg>" in execution and "fr_ok" in execution and execution.count("<tr>") == 4
    assert tables.search_result_html(object()) is None  # never raises


def test_time_parsing():
    from conductor_nb.notebook.records import duration, time as parse

    utc = datetime.timezone.utc
    moment = datetime.datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=utc)
    assert parse("2024-05-01T12:00:00.123Z") == moment
    assert parse(int(moment.timestamp() * 1000)) == moment == parse(str(int(moment.timestamp() * 1000)))
    assert parse(0) is None and parse("") is None and parse(None) is None and parse("garbage") is None
    assert duration(1500) == datetime.timedelta(seconds=1.5) and duration(None) is None


