"""Runaway code: an INLINE script or a jq program that loops forever or allocates without bound fails its task
with a clear reason, and other workflows go on meanwhile: the longest stall they see is measured and must stay
under a second.

Scripts run in sandbox processes (conductor_nb/engine/scripting.py, jq.py): JavaScript within 4 s and 64 MB of V8
heap, jq within 10 s and 256 MB (besides what its input takes). A sandbox dies with the engine's process.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conductor_nb import StartWorkflowRequest, TaskResult, WorkflowDef, WorkflowTask
from conductor_nb.engine import Engine

from reliability_support import figure

MAX_STALL_S = 1.0
JS_LOOP = "while (true) {}"
JS_ALLOC = "const hoard = []; while (true) hoard.push(new Array(100000).fill(Math.random()));"
JQ_LOOP = "def f: f; f"


def wt(ref, type_, **fields):
    return WorkflowTask.from_dict({"name": ref, "taskReferenceName": ref, "type": type_, **fields})


def inline(ref, code):
    return wt(ref, "INLINE", inputParameters={"evaluatorType": "javascript", "expression": code})


def jq(ref, query):
    return wt(ref, "JSON_JQ_TRANSFORM", inputParameters={"queryExpression": query, "a": 1})


class Probe:
    """Runs small workflows (an INLINE script, a jq program, a worker task) one after another on a thread and
    records how long each takes: what a runaway script makes other workflows wait."""

    def __init__(self, engine: Engine):
        self.engine = engine
        engine.register_workflow_def(WorkflowDef(name="probe", tasks=[
            inline("script", "1 + 1"), jq("program", ".a"), wt("work", "SIMPLE")]), overwrite=True)
        self.latencies: list[tuple[float, float, str]] = []  # (start, seconds, status)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._worker, daemon=True),
                         threading.Thread(target=self._probe, daemon=True)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def _worker(self):
        while not self._stop.is_set():
            for task in self.engine.batch_poll_tasks("work", "probe-worker", 10, 100):
                self.engine.update_task(TaskResult(task_id=task.task_id, status="COMPLETED", output_data={}))

    def _probe(self):
        while not self._stop.is_set():
            began = time.monotonic()
            run = self.engine.execute_workflow(StartWorkflowRequest(name="probe"), wait_for_seconds=30)
            self.latencies.append((began, time.monotonic() - began, run.status))
            self._stop.wait(0.02)

    def between(self, start: float, end: float) -> list[float]:
        """Latencies of the probes started in [start, end] (or still running at start)."""
        return [seconds for began, seconds, _ in self.latencies if start - seconds <= began <= end]

    def wait_for(self, count: int) -> None:
        while len(self.latencies) < count:
            time.sleep(0.01)


def start(engine, name, *tasks):
    definition = WorkflowDef(name=name, tasks=list(tasks))
    return engine.start_workflow(StartWorkflowRequest(name=name, workflow_def=definition))


def finished(engine, workflow_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wf = engine.get_workflow(workflow_id)
        if wf.status != "RUNNING":
            return wf
        time.sleep(0.05)
    raise AssertionError(f"{workflow_id} still running after {timeout} s")


def test_runaway_scripts_fail_with_a_clear_reason_and_stall_others_under_a_second(engine):
    with Probe(engine) as probe:
        probe.wait_for(15)  # warm: the sandbox processes are up
        baseline = [seconds for _, seconds, _ in probe.latencies[5:]]
        began = time.monotonic()
        js_loop = start(engine, "js_loop", inline("spin", JS_LOOP))
        jq_loop = start(engine, "jq_loop", jq("spin", JQ_LOOP))
        spun = finished(engine, js_loop)
        js_alloc = start(engine, "js_alloc", inline("hoard", JS_ALLOC))  # one runaway per language at a time
        hoarded = finished(engine, js_alloc)
        jq_spun = finished(engine, jq_loop)
        ended = time.monotonic()
        probe.wait_for(len(probe.latencies) + 2)
    during = probe.between(began, ended)
    assert [s for _, _, s in probe.latencies] == ["COMPLETED"] * len(probe.latencies)

    for wf, reason in ((spun, "script timed out after 4.0 s"), (hoarded, "script exceeded its memory limit of 64 MB"),
                       (jq_spun, "jq program timed out after 10.0 s")):
        assert wf.status == "FAILED" and wf.tasks[0].status in ("FAILED", "FAILED_WITH_TERMINAL_ERROR")
        assert reason in wf.tasks[0].reason_for_incompletion
        assert reason in wf.reason_for_incompletion
    stall = max(during)
    figure(f"runaway scripts (INLINE loop, INLINE allocation, jq loop over {ended - began:.1f} s): "
           f"{len(during)} probe workflows (INLINE + jq + worker task) meanwhile, longest {stall:.3f} s, "
           f"median {statistics.median(during):.3f} s (before: median {statistics.median(baseline):.3f} s)")
    assert stall < MAX_STALL_S


def test_a_runaway_jq_program_that_allocates_fails_with_a_clear_reason(engine):
    doubling = start(engine, "jq_alloc", jq("hoard", 'reduce range(40) as $i ("x"; . + .) | length'))
    wf = finished(engine, doubling)
    assert wf.status == "FAILED" and wf.tasks[0].status in ("FAILED", "FAILED_WITH_TERMINAL_ERROR")
    # the sandbox's memory limit, long before jq's own string cap (near 1.5 GB)
    assert "jq program exceeded its memory limit of 256 MB" in wf.tasks[0].reason_for_incompletion


def test_a_jq_program_is_held_to_a_memory_limit(engine):
    wf = finished(engine, start(engine, "jq_big", jq("big", 'reduce range(28) as $i ("x"; . + .) | length')))
    assert wf.status == "FAILED" and "memory" in wf.tasks[0].reason_for_incompletion
    assert wf.tasks[0].reason_for_incompletion in wf.reason_for_incompletion
    # the worker was replaced: the next program runs, and one that needs a fair amount of memory too
    wf = finished(engine, start(engine, "jq_fair", jq("fair", 'reduce range(22) as $i ("x"; . + .) | length')))
    assert wf.status == "COMPLETED" and wf.tasks[0].output_data["result"] == 2**22


def test_runaway_scripts_filling_the_sandbox_pool_do_not_stall_other_scripts(engine):
    _stall_under_a_second(engine, os.cpu_count() or 2, "as many as the sandbox pool has slots")


def test_more_runaway_scripts_than_system_task_threads_do_not_stall_other_workflows(engine):
    """The engine runs background tasks on 4 threads; more runaways than that must not hold the rest up."""
    _stall_under_a_second(engine, 5, "more than the 4 system-task threads")


def _stall_under_a_second(engine, loops: int, what: str) -> None:
    """`loops` runaway INLINE loops at once, while the probe runs small workflows: none of those waits a second.
    A round whose longest stall crosses the bound is measured once more: in `make test` the real Conductor server
    (a JVM) and other tests' processes share the 2 cores, and one probe once waited 1.09 s where rounds alone
    measure 0.08-0.13 s; two rounds in a row over the bound fail."""
    longest = []
    for _ in range(2):
        with Probe(engine) as probe:
            probe.wait_for(10)
            began = time.monotonic()
            spinners = [start(engine, f"spin{i}", inline("spin", JS_LOOP)) for i in range(loops)]
            for wf_id in spinners:
                finished(engine, wf_id)
            ended = time.monotonic()
            probe.wait_for(len(probe.latencies) + 1)
        during = probe.between(began, ended)
        assert [s for _, _, s in probe.latencies] == ["COMPLETED"] * len(probe.latencies)
        longest.append(max(during))
        figure(f"{loops} runaway INLINE loops at once ({what}): {len(during)} probe workflows meanwhile, "
               f"longest {max(during):.3f} s, median {statistics.median(during):.3f} s"
               + (" (a second round)" if len(longest) > 1 else ""))
        if longest[-1] < MAX_STALL_S:
            return
    raise AssertionError(f"two rounds in a row stalled other workflows over {MAX_STALL_S} s: {longest}")


ORPHAN_RUNNER = textwrap.dedent("""
    import sys, time
    from conductor_nb import StartWorkflowRequest, WorkflowDef, WorkflowTask
    from conductor_nb.engine import Engine
    engine = Engine(sys.argv[1])
    spin = WorkflowTask.from_dict({"name": "spin", "taskReferenceName": "spin", "type": "INLINE",
                                   "inputParameters": {"evaluatorType": "javascript", "expression": "while (true) {}"}})
    engine.start_workflow(StartWorkflowRequest(name="spin", workflow_def=WorkflowDef(name="spin", tasks=[spin])))
    print("started", flush=True)
    time.sleep(60)
""")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1] == str(pid):
                found.append(int(entry))
        except (OSError, IndexError):
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_a_killed_engine_leaves_no_sandbox_process_behind(tmp_path):
    engine = subprocess.Popen([sys.executable, "-c", ORPHAN_RUNNER, str(tmp_path / "orphan.db")],
                              stdout=subprocess.PIPE, text=True)
    sandboxes = []
    try:
        assert engine.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 10
        while not sandboxes and time.monotonic() < deadline:
            sandboxes = _children(engine.pid)
            time.sleep(0.05)
        time.sleep(0.5)  # the script is spinning in V8
        engine.kill()  # the engine process only, as the OOM killer or a crash would
        engine.wait(10)
        time.sleep(5)  # longer than the 4 s time limit
        assert sandboxes and not [pid for pid in sandboxes if _alive(pid)]
    finally:
        for pid in sandboxes:  # ours: the children of the engine started above
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if engine.poll() is None:
            engine.kill()
