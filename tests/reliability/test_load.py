"""Load: many concurrent workflows of 5 worker tasks each, 8 worker threads over HTTP, one `conductor-nb server`;
then the same with the server SIGKILLed mid-run and restarted on the same database. Every workflow completes, no
acknowledged update or start is lost, and no step is completed twice.

`make test` runs 500 workflows; `make soak` (CONDUCTOR_NB_SOAK=1) runs 10,000. The figures are printed at the end.

What "acknowledged" means: a start whose call returned a workflow id, an update whose call returned. A worker whose
poll answer was lost in the kill never learns of its task: the response timeout (5 s here) gives the step to
another worker, which is Conductor's at-least-once delivery; the figures count those re-executions.
"""

from __future__ import annotations

import collections
import sqlite3
import threading
import time

from conductor_nb import StartWorkflowRequest, TaskDef, TaskResult, WorkflowDef, WorkflowTask
from conductor_nb.http import HttpConductor

from reliability_support import SOAK, figure

WORKFLOWS = 10_000 if SOAK else 500
STEPS = [f"step{i}" for i in range(1, 6)]
WORKER_THREADS = 8
STARTER_THREADS = 2
TASK_TYPE = "rel_step"
RESPONSE_TIMEOUT_S = 5
KILL_AT = 0.4  # of all steps acknowledged
DEADLINE_S = 1200 if SOAK else 180


class LoadRun:
    """Starts the workflows, runs the workers, and keeps the books: acknowledged starts and updates."""

    def __init__(self, server):
        self.server = server
        self.acks: list[tuple[str, int]] = []  # (task id, worker)
        self.started: list[str] = []
        self.lost_calls = 0  # calls that failed while the server was down (retried)
        self.failed_starts = 0  # start calls without an answer: each may still have been applied
        self._lock = threading.Lock()
        self._done = threading.Event()
        client = HttpConductor(server.url)
        client.register_task_defs([TaskDef(name=TASK_TYPE, retry_count=3, retry_delay_seconds=0,
                                           response_timeout_seconds=RESPONSE_TIMEOUT_S, timeout_seconds=0)])
        client.register_workflow_def(WorkflowDef(name="rel_load", version=1, tasks=[
            WorkflowTask(name=TASK_TYPE, task_reference_name=ref, input_parameters={"n": "${workflow.input.n}"})
            for ref in STEPS]), overwrite=True)
        client.close()

    # ---------------------------------------------------------------------------------------------- the actors
    def _starter(self, numbers: range) -> None:
        client = HttpConductor(self.server.url)
        for n in numbers:
            while True:
                try:
                    request = StartWorkflowRequest(name="rel_load", version=1, input={"n": n})
                    workflow_id = client.start_workflow(request)
                    break
                except Exception:  # the server is down; the start may have been applied before it went
                    self._count_lost()
                    with self._lock:
                        self.failed_starts += 1
                    time.sleep(0.1)  # (the client does not retry a POST that may have been applied; we do)
            with self._lock:
                self.started.append(workflow_id)
        client.close()

    def _worker(self, index: int) -> None:
        client = HttpConductor(self.server.url)
        while not self._done.is_set():
            try:
                tasks = client.batch_poll_tasks(TASK_TYPE, f"worker-{index}", 4, 200)
            except Exception:
                self._count_lost()
                self._done.wait(0.1)
                continue
            for task in tasks:
                result = TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id,
                                    worker_id=f"worker-{index}", status="COMPLETED",
                                    output_data={"step": task.reference_task_name, "n": task.input_data.get("n")})
                while not self._done.is_set():
                    try:
                        client.update_task(result)
                    except Exception:  # the server is down: keep the result and send it again
                        self._count_lost()
                        self._done.wait(0.1)
                        continue
                    with self._lock:
                        self.acks.append((task.task_id, index))
                    break
        client.close()

    def _count_lost(self) -> None:
        with self._lock:
            self.lost_calls += 1

    # ------------------------------------------------------------------------------------------------ the run
    def run(self, kill: bool) -> dict:
        db = sqlite3.connect(f"file:{self.server.db_path}?mode=ro", uri=True, timeout=30)
        workers = [threading.Thread(target=self._worker, args=(i,), daemon=True) for i in range(WORKER_THREADS)]
        share = -(-WORKFLOWS // STARTER_THREADS)
        starters = [threading.Thread(target=self._starter, args=(range(i * share, min(WORKFLOWS, (i + 1) * share)),),
                                     daemon=True) for i in range(STARTER_THREADS)]
        figures = {"kill": None}
        began = time.monotonic()
        for thread in workers + starters:
            thread.start()
        killed = not kill
        deadline = began + DEADLINE_S
        try:
            while time.monotonic() < deadline:
                if not killed and len(self.acks) >= KILL_AT * WORKFLOWS * len(STEPS):
                    at = time.monotonic()
                    in_flight_acks = len(self.acks)
                    self.server.kill()
                    time.sleep(0.5)
                    self.server.restart()
                    figures["kill"] = (at - began, time.monotonic() - at, in_flight_acks)
                    killed = True
                if all(not t.is_alive() for t in starters) and figures.get("started_in") is None:
                    figures["started_in"] = time.monotonic() - began
                done = db.execute("SELECT COUNT(*) FROM workflow WHERE name = 'rel_load' AND status = 'COMPLETED'"
                                  ).fetchone()[0]
                if done >= WORKFLOWS:
                    break
                time.sleep(0.2)
            figures["completed_in"] = time.monotonic() - began
        finally:
            self._done.set()
            for thread in workers + starters:
                thread.join(30)
            db.close()
        return figures

    # ------------------------------------------------------------------------------------------------ the books
    def check(self) -> dict:
        """Assert the guarantees on the database the server leaves (stopped cleanly first)."""
        assert self.server.stop() == 0
        db = sqlite3.connect(self.server.db_path)
        try:
            statuses = dict(db.execute("SELECT workflow_id, status FROM workflow WHERE name = 'rel_load'"))
            assert len(self.started) == WORKFLOWS
            missing = [w for w in self.started if w not in statuses]
            assert not missing, f"{len(missing)} acknowledged starts lost, e.g. {missing[:3]}"
            unfinished = collections.Counter(s for s in statuses.values() if s != "COMPLETED")
            assert not unfinished, f"workflows not completed: {unfinished}"
            task_status = dict(db.execute("SELECT task_id, status FROM task WHERE task_type = ?", (TASK_TYPE,)))
            lost = [t for t, _ in self.acks if task_status.get(t) != "COMPLETED"]
            assert not lost, f"{len(lost)} acknowledged updates lost, e.g. {lost[:3]}"
            completions = collections.Counter(db.execute(
                "SELECT workflow_id, ref FROM task WHERE task_type = ? AND status = 'COMPLETED'", (TASK_TYPE,)))
            twice = [key for key, count in completions.items() if count > 1]
            assert not twice, f"{len(twice)} steps completed twice, e.g. {twice[:3]}"
            # A start applied just before the kill, whose answer was lost, was sent again: an extra workflow
            # (with the same input), which must run like every other one.
            assert WORKFLOWS <= len(statuses) <= WORKFLOWS + self.failed_starts
            assert len(completions) == len(statuses) * len(STEPS)
            (integrity,) = db.execute("PRAGMA integrity_check").fetchone()
            assert integrity == "ok"
            timed_out = db.execute("SELECT COUNT(*) FROM task WHERE task_type = ? AND status = 'TIMED_OUT'",
                                   (TASK_TYPE,)).fetchone()[0]
        finally:
            db.close()
        executions = collections.Counter(task_id for task_id, _ in self.acks)
        return {"re_executed": len(self.acks) - len(executions) + timed_out, "timed_out": timed_out,
                "double_acks": sum(1 for c in executions.values() if c > 1)}


def _report(label: str, figures: dict, books: dict, lost_calls: int) -> None:
    steps = WORKFLOWS * len(STEPS)
    total = figures["completed_in"]
    line = (f"load {label}: {WORKFLOWS} workflows x {len(STEPS)} worker tasks, {WORKER_THREADS} worker threads over "
            f"HTTP: all started in {figures['started_in']:.1f} s ({WORKFLOWS / figures['started_in']:.0f} starts/s), "
            f"all completed in {total:.1f} s ({WORKFLOWS / total:.0f} workflows/s, {steps / total:.0f} tasks/s)")
    if figures["kill"]:
        at, down, acked = figures["kill"]
        line += (f"; SIGKILL at {at:.1f} s after {acked} acknowledged updates, back in {down:.2f} s, "
                 f"{lost_calls} calls refused meanwhile, {books['timed_out']} steps given to another worker after "
                 f"the response timeout (lost poll answers)")
    figure(line)


def test_concurrent_workflows_over_http_all_complete(server_process):
    server = server_process()
    load = LoadRun(server)
    figures = load.run(kill=False)
    books = load.check()
    _report("steady", figures, books, load.lost_calls)
    assert books["timed_out"] == 0 and books["double_acks"] == 0


def test_a_server_killed_mid_run_loses_nothing_acknowledged(server_process):
    server = server_process()
    load = LoadRun(server)
    figures = load.run(kill=True)
    assert figures["kill"] is not None, "the run should have been killed mid-way"
    assert server.starts == 2
    books = load.check()
    _report("SIGKILL + restart", figures, books, load.lost_calls)
    assert books["double_acks"] == 0  # a task id is delivered once; a lost poll is redelivered as a new task
