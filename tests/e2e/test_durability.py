"""A process that dies leaves every unfinished workflow in the SQLite file, and a new process carries on."""

import signal
import subprocess
import sys
import textwrap

from conductor_nb import TaskResult
from conductor_nb.engine import Engine

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
