"""A process that dies leaves every unfinished workflow in the SQLite file, and a new process carries on."""

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from conductor_nb import StartWorkflowRequest, TaskDef, TaskResult, WorkflowDef, WorkflowTask
from conductor_nb.clock import FakeClock
from conductor_nb.engine import Engine
from conductor_nb.engine.store import MIGRATIONS

STARTER = textwrap.dedent("""
    import os, signal, sys
    from conductor_nb import StartWorkflowRequest, TaskResult, WorkflowDef, WorkflowTask
    from conductor_nb.engine import Engine

    engine = Engine(sys.argv[1])
    engine.register_workflow_def(WorkflowDef(name="two_steps", tasks=[
        WorkflowTask(name="step1", task_reference_name="s1", input_parameters={"n": "${workflow.input.n}"}),
        WorkflowTask(name="step2", task_reference_name="s2", input_parameters={"prev": "${s1.output.v}"}),
    ]))
    ids = [engine.start_workflow(StartWorkflowRequest(name="two_steps", input={"n": n})) for n in range(3)]
    task = engine.batch_poll_tasks("step1", "w", 1, 0)[0]
    engine.update_task(TaskResult(task_id=task.task_id, status="COMPLETED", output_data={"v": task.input_data["n"]}))
    in_flight = engine.batch_poll_tasks("step1", "w", 1, 0)[0]  # polled, then the process dies mid-task
    print(" ".join(ids), in_flight.task_id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_unfinished_workflows_survive_a_killed_process(tmp_path):
    db = str(tmp_path / "durable.db")
    proc = subprocess.run([sys.executable, "-c", STARTER, db], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    *ids, in_flight_id = proc.stdout.split()

    engine = Engine(db)
    assert [engine.get_workflow(i).status for i in ids] == ["RUNNING"] * 3
    assert engine.get_task(in_flight_id).status == "IN_PROGRESS"
    # the in-flight task can still be finished by a worker that kept it
    engine.update_task(TaskResult(task_id=in_flight_id, status="COMPLETED", output_data={"v": "late"}))
    done = 0
    for _ in range(10):
        for task in engine.batch_poll_tasks("step1", "w", 5, 0):
            engine.update_task(TaskResult(task_id=task.task_id, status="COMPLETED", output_data={"v": 1}))
        for task in engine.batch_poll_tasks("step2", "w", 5, 0):
            engine.update_task(TaskResult(task_id=task.task_id, status="COMPLETED", output_data={"got": task.input_data["prev"]}))
            done += 1
        if done == 3:
            break
    assert [engine.get_workflow(i).status for i in ids] == ["COMPLETED"] * 3
    assert engine.get_workflow(ids[0]).output == {"got": 0}
    engine.close()


def _as_schema_version_1(db: str) -> None:
    """Rewrite a database the way schema version 1 kept it: task timers as rows of the timer table, an index over
    every workflow's correlation id (NULLs included), and a second index of the queue."""
    conn = sqlite3.connect(db)
    conn.executescript("""
        INSERT INTO timer SELECT 'task:' || task_id, workflow_id, due FROM task WHERE due IS NOT NULL;
        DROP INDEX task_due;
        ALTER TABLE task DROP COLUMN due;
        DROP INDEX workflow_by_correlation;
        CREATE INDEX workflow_by_correlation ON workflow (correlation_id);
        CREATE INDEX queue_ready ON queue (queue_name, visible_at);
        PRAGMA user_version = 1;
    """)
    conn.close()


def test_a_database_of_the_older_schema_opens_and_its_timers_still_fire(tmp_path):
    db = str(tmp_path / "older.db")
    clock = FakeClock()
    engine = Engine(db, clock=clock)
    engine.register_task_defs([TaskDef(name="slow", retry_count=0, response_timeout_seconds=10, timeout_seconds=60)])
    engine.register_workflow_def(WorkflowDef(name="one_slow_step", tasks=[
        WorkflowTask(name="slow", task_reference_name="s")]))
    workflow_id = engine.start_workflow(StartWorkflowRequest(name="one_slow_step", correlation_id="order-7"))
    task = engine.batch_poll_tasks("slow", "w", 1, 0)[0]  # IN_PROGRESS: times out 10 s after the poll
    engine.close()
    _as_schema_version_1(db)

    engine = Engine(db, clock=clock)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("SELECT due FROM task WHERE task_id = ?", (task.task_id,)).fetchone()[0] == clock.now() + 10_000
    assert conn.execute("SELECT COUNT(*) FROM timer WHERE key LIKE 'task:%'").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'queue_ready'").fetchone()[0] == 0
    assert [w.workflow_id for w in engine.get_workflows_by_correlation_id("one_slow_step", "order-7")] == [workflow_id]
    clock.advance(11)
    for _ in range(100):
        if engine.get_workflow(workflow_id).status != "RUNNING":
            break
        time.sleep(0.05)
    assert engine.get_task(task.task_id).status == "TIMED_OUT"
    assert engine.get_workflow(workflow_id).status == "TIMED_OUT"
    engine.close()
    conn.close()
