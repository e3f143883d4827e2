"""Durability: an engine process killed with SIGKILL in the middle of heavy commits (and of WAL checkpoints) never
corrupts the database nor loses what it acknowledged, however often it happens; a new process carries on.

The store's settings (conductor_nb/engine/store.py): journal_mode=WAL, synchronous=NORMAL, busy_timeout=10 s, one
transaction per state change. In WAL mode a commit is an append to the -wal file; with synchronous=NORMAL it is
fsynced at checkpoints rather than at each commit, so a killed process loses nothing it committed (the kernel
holds the writes) and an OS crash or power cut may lose the last commits but never corrupts the file.
docs/reliability.md says more.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import textwrap
import time

from conductor_nb.engine import Engine

from reliability_support import SOAK, figure

KILLS = 60 if SOAK else 8
STEPS = 3

CHILD = textwrap.dedent("""
    import random, sqlite3, sys, threading, time
    from conductor_nb import StartWorkflowRequest, TaskDef, TaskResult, WorkflowDef, WorkflowTask
    from conductor_nb.engine import Engine

    db, acks_path, mode, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rng = random.Random(seed)
    engine = Engine(db)
    engine.register_task_defs([TaskDef(name="dur_step", retry_count=50, retry_delay_seconds=0,
                                       response_timeout_seconds=1)])
    engine.register_workflow_def(WorkflowDef(name="dur", version=1, tasks=[
        WorkflowTask(name="dur_step", task_reference_name=f"s{i}", input_parameters={"n": "${workflow.input.n}"})
        for i in range(%(steps)d)]), overwrite=True)

    def checkpoints():  # force checkpoints all the time, so that kills land in them too
        conn = sqlite3.connect(db, timeout=10)
        while True:
            conn.execute("PRAGMA wal_checkpoint(" + rng.choice(["PASSIVE", "FULL", "RESTART", "TRUNCATE"]) + ")")
            time.sleep(rng.random() * 0.02)

    if mode == "work":
        threading.Thread(target=checkpoints, daemon=True).start()
    acks = open(acks_path, "a", buffering=1)
    print("ready", flush=True)
    n = 0
    while True:
        if mode == "work":
            for _ in range(5):
                workflow_id = engine.start_workflow(StartWorkflowRequest(name="dur", version=1, input={"n": n}))
                acks.write(f"S {workflow_id}\\n")  # acknowledged: the call returned
                n += 1
        tasks = engine.batch_poll_tasks("dur_step", "dur-worker", 20, 0 if mode == "work" else 200)
        for task in tasks:
            engine.update_task(TaskResult(task_id=task.task_id, status="COMPLETED", output_data={"n": n}))
            acks.write(f"C {task.task_id}\\n")
        if mode == "finish" and not tasks and not engine.get_running_workflows("dur", 1):
            break
    engine.close()
    print("finished", flush=True)
""") % {"steps": STEPS}


def child(db, acks, mode, seed):
    return subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(acks), mode, str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def acknowledged(acks_path) -> tuple[list[str], list[str]]:
    started, completed = [], []
    for line in acks_path.read_text().splitlines():
        kind, _, ident = line.partition(" ")
        if len(ident) == 36:  # a line cut by the kill is not an acknowledgement
            (started if kind == "S" else completed).append(ident)
    return started, completed


def check(db_path, acks_path) -> tuple[int, int]:
    """integrity_check is ok and every acknowledged start and completion is in the database."""
    started, completed = acknowledged(acks_path)
    db = sqlite3.connect(db_path, timeout=30)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        workflows = {row[0] for row in db.execute("SELECT workflow_id FROM workflow")}
        lost = [w for w in started if w not in workflows]
        assert not lost, f"{len(lost)} acknowledged starts lost"
        status = dict(db.execute("SELECT task_id, status FROM task"))
        undone = [t for t in completed if status.get(t) != "COMPLETED"]
        assert not undone, f"{len(undone)} acknowledged completions lost"
    finally:
        db.close()
    return len(started), len(completed)


def test_sigkill_during_commits_and_checkpoints_never_corrupts_or_loses_acknowledged_work(tmp_path):
    db, acks = tmp_path / "durable.db", tmp_path / "acks.log"
    acks.touch()
    rng = random.Random(20240611)
    began = time.monotonic()
    for kill in range(KILLS):
        proc = child(db, acks, "work", kill)
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(rng.uniform(0.05, 0.6))  # anywhere: in a commit, a checkpoint, between the two
        proc.kill()
        proc.wait(10)
        started, completed = check(db, acks)
    figure(f"durability: {KILLS} SIGKILLs during commits and checkpoints in {time.monotonic() - began:.0f} s, "
           f"{started} acknowledged starts and {completed} acknowledged completions all intact, integrity_check ok")

    # a new process completes everything: each step once
    proc = child(db, acks, "finish", KILLS)
    out, err = proc.communicate(timeout=120)
    assert "finished" in out, err[-2000:]
    check(db, acks)
    engine = Engine(str(db))
    try:
        started, _ = acknowledged(acks)
        for workflow_id in started:
            wf = engine.get_workflow(workflow_id)
            assert wf.status == "COMPLETED", (workflow_id, wf.status)
            assert sorted(t.reference_task_name for t in wf.tasks if t.status == "COMPLETED") == \
                [f"s{i}" for i in range(STEPS)]
    finally:
        engine.close()
