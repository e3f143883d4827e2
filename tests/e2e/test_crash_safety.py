"""Crash safety: an engine process killed with SIGKILL mid-run loses no acknowledged update, and a new process on
the same database completes every workflow with each step completed exactly once."""

import collections
import os
import signal
import subprocess
import sys
import textwrap
import time

from conductor_nb import TaskResult
from conductor_nb.engine import Engine

WORKFLOWS = 150
STEPS = ["step_a", "step_b", "step_c"]

RUNNER = textwrap.dedent("""
    import sys
    from conductor_nb import StartWorkflowRequest, TaskResult, WorkflowDef, WorkflowTask
    from conductor_nb.engine import Engine

    db, acks, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    engine = Engine(db)
    steps = ["step_a", "step_b", "step_c"]
    engine.register_workflow_def(WorkflowDef(name="crashy", tasks=[
        WorkflowTask(name=s, task_reference_name=s, input_parameters={"n": "${workflow.input.n}"}) for s in steps]),
        overwrite=True)
    for n in range(count):
        engine.start_workflow(StartWorkflowRequest(name="crashy", input={"n": n}))
    with open(acks, "a", buffering=1) as log:
        print("started", flush=True)
        while True:
            for step in steps:
                for task in engine.batch_poll_tasks(step, "crashy-worker", 10, 0):
                    engine.update_task(TaskResult(task_id=task.task_id, status="COMPLETED",
                                                  output_data={"done": step}))
                    log.write(task.task_id + "\\n")  # acknowledged: the update call returned
""")


def test_killed_mid_run_then_completed_by_a_new_process(tmp_path):
    db, acks = str(tmp_path / "crash.db"), tmp_path / "acks.log"
    acks.touch()
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, db, str(acks), str(WORKFLOWS)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started", proc.stderr.read()
    deadline = time.monotonic() + 60
    while len(acks.read_text().split()) < WORKFLOWS and time.monotonic() < deadline:
        time.sleep(0.01)  # let it get about a third of the way
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    acknowledged = acks.read_text().split()
    assert 0 < len(acknowledged) < WORKFLOWS * len(STEPS), "the kill should land mid-run"

    engine = Engine(db)
    try:
        for task_id in acknowledged:  # nothing acknowledged was lost
            assert engine.get_task(task_id).status == "COMPLETED"
        ids = engine.get_running_workflows("crashy", 1)
        for task_id in {t.task_id for wf_id in ids for t in engine.get_workflow(wf_id).tasks
                        if t.status == "IN_PROGRESS"}:
            # the dead worker's tasks in flight: a new worker finishes them (or the response timeout would)
            engine.update_task(TaskResult(task_id=task_id, status="COMPLETED", output_data={"done": "recovered"}))
        for _ in range(WORKFLOWS * len(STEPS)):
            polled = [t for step in STEPS for t in engine.batch_poll_tasks(step, "new-worker", 50, 0)]
            if not polled:
                break
            for task in polled:
                engine.update_task(TaskResult(task_id=task.task_id, status="COMPLETED", output_data={"done": "x"}))
        workflows = [engine.get_workflow(w.workflow_id) for w in
                     engine.search_workflows(query="workflowType = 'crashy'", size=1000).results]
        assert len(workflows) == WORKFLOWS
        assert all(wf.status == "COMPLETED" for wf in workflows)
        for wf in workflows:  # each step completed exactly once
            counts = collections.Counter(t.reference_task_name for t in wf.tasks if t.status == "COMPLETED")
            assert counts == {s: 1 for s in STEPS}, (wf.workflow_id, counts)
    finally:
        engine.close()
