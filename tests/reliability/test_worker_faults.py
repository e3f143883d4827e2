"""Worker faults, with the real TaskHandler workers over HTTP: a worker that raises, one that hangs past its
responseTimeout, one that dies holding a task, and a server that is killed and restarted while workers poll.
Nothing is lost (every workflow completes, each step once), and what a notebook would show stays quiet: no
traceback on stderr, no log record with a traceback, at most one warning per outage.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conductor_nb import (Configuration, StartWorkflowRequest, TaskDef, TaskHandler, Worker, WorkflowDef,
                          WorkflowTask)
from conductor_nb.http import HttpConductor


@pytest.fixture
def notebook_view(caplog, capfd):
    """What a notebook shows: log records (every level, any logger) and the process's stderr."""
    caplog.set_level(logging.DEBUG)

    def view():
        records = [r for r in caplog.records if r.name.startswith("conductor_nb")]
        return records, capfd.readouterr().err

    return view


def quiet(records, stderr, max_warnings=0):
    assert "Traceback" not in stderr, stderr[-3000:]
    assert not [r for r in records if r.exc_info], [r.getMessage() for r in records if r.exc_info]
    assert not [r for r in records if r.levelno >= logging.ERROR], [r.getMessage() for r in records]
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) <= max_warnings, [r.getMessage() for r in warnings]


def register(client, task_type, **task_def):
    client.register_task_defs([TaskDef(name=task_type, retry_delay_seconds=0, **task_def)])
    client.register_workflow_def(WorkflowDef(name=f"{task_type}_flow", version=1, tasks=[
        WorkflowTask(name=task_type, task_reference_name="step", input_parameters={"n": "${workflow.input.n}"})]),
        overwrite=True)


def run_all(client, task_type, count, timeout=30):
    ids = [client.start_workflow(StartWorkflowRequest(name=f"{task_type}_flow", version=1, input={"n": n}))
           for n in range(count)]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workflows = [client.get_workflow(i) for i in ids]
        if all(wf.status != "RUNNING" for wf in workflows):
            return workflows
        time.sleep(0.1)
    raise AssertionError(f"not finished in {timeout} s: {[wf.status for wf in workflows]}")


def handler_for(url, *workers):
    return TaskHandler(workers=list(workers), configuration=Configuration(server_api_url=url),
                       scan_for_annotated_workers=False)


def steps(wf):
    return [(t.status, t.reason_for_incompletion) for t in wf.tasks]


def test_a_worker_that_raises_is_retried_and_its_traceback_goes_to_the_task_log(server, notebook_view):
    client = HttpConductor(server.url)
    register(client, "flaky", retry_count=2)
    attempts: dict[int, int] = {}

    def flaky(n):
        attempts[n] = attempts.get(n, 0) + 1
        if attempts[n] == 1:
            raise ValueError(f"flaky {n} failed once")
        return {"n": n}

    handler = handler_for(server.url, Worker("flaky", flaky, thread_count=2))
    handler.start_processes()
    try:
        workflows = run_all(client, "flaky", 10)
    finally:
        handler.stop_processes()
    for wf in workflows:
        n = wf.input["n"]
        assert wf.status == "COMPLETED" and wf.output == {"n": n}
        assert steps(wf) == [("FAILED", f"flaky {n} failed once"), ("COMPLETED", None)]
        logs = client.get_task_logs(wf.tasks[0].task_id)
        assert "Traceback" in logs[0].log and "ValueError" in logs[0].log
    quiet(*notebook_view())


def test_a_hung_worker_times_out_and_the_step_is_retried_once(server, notebook_view):
    client = HttpConductor(server.url)
    register(client, "hangs", retry_count=1, response_timeout_seconds=1)
    hung: set[int] = set()
    release = threading.Event()

    def hangs(n):
        if n not in hung:
            hung.add(n)
            release.wait(3)  # well past the response timeout; its late result is ignored
        return {"n": n, "late": n in hung and not release.is_set()}

    handler = handler_for(server.url, Worker("hangs", hangs, thread_count=4))
    handler.start_processes()
    try:
        workflows = run_all(client, "hangs", 2)
        time.sleep(3.2)  # the hung calls return and report
    finally:
        release.set()
        handler.stop_processes()
    for wf in workflows:
        assert wf.status == "COMPLETED"
        assert [s for s, _ in steps(client.get_workflow(wf.workflow_id))] == ["TIMED_OUT", "COMPLETED"]
        assert "responseTimeout" in wf.tasks[0].reason_for_incompletion or \
               "timed out" in wf.tasks[0].reason_for_incompletion.lower()
    quiet(*notebook_view())


DYING_WORKER = textwrap.dedent("""
    import sys, time
    from conductor_nb.http import HttpConductor
    client = HttpConductor(sys.argv[1])
    while True:
        tasks = client.batch_poll_tasks("doomed", "dying-worker", 1, 500)
        if tasks:
            print(tasks[0].task_id, flush=True)
            time.sleep(60)  # killed here, holding the task
""")


def test_a_worker_that_dies_holding_a_task_loses_nothing(server, notebook_view):
    client = HttpConductor(server.url)
    register(client, "doomed", retry_count=1, response_timeout_seconds=1)
    dying = subprocess.Popen([sys.executable, "-c", DYING_WORKER, server.url], stdout=subprocess.PIPE, text=True)
    try:
        workflow_id = client.start_workflow(StartWorkflowRequest(name="doomed_flow", version=1, input={"n": 7}))
        held = dying.stdout.readline().strip()
        assert client.get_task(held).status == "IN_PROGRESS"
    finally:
        dying.kill()
        dying.wait(10)
    handler = handler_for(server.url, Worker("doomed", lambda n: {"n": n}))
    handler.start_processes()
    try:
        deadline = time.monotonic() + 15
        while client.get_workflow(workflow_id).status == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        handler.stop_processes()
    wf = client.get_workflow(workflow_id)
    assert wf.status == "COMPLETED" and wf.output == {"n": 7}
    assert [(t.task_id == held, t.status) for t in wf.tasks] == [(True, "TIMED_OUT"), (False, "COMPLETED")]
    quiet(*notebook_view())


def test_workers_ride_out_a_server_killed_and_restarted_while_they_poll(server_process, notebook_view):
    server = server_process()
    client = HttpConductor(server.url)
    register(client, "steady", retry_count=2, response_timeout_seconds=2)
    client.register_workflow_def(WorkflowDef(name="steady_flow", version=1, tasks=[
        WorkflowTask(name="steady", task_reference_name=f"s{i}", input_parameters={"n": "${workflow.input.n}"})
        for i in range(3)]), overwrite=True)
    done: list[int] = []

    def steady(n):
        done.append(n)
        return {"n": n}

    threads = 3
    handler = handler_for(server.url, Worker("steady", steady, thread_count=threads))
    handler.start_processes()
    try:
        first = run_all(client, "steady", 10)
        server.kill()
        time.sleep(1.5)  # the workers' polls fail meanwhile
        server.restart()
        second = run_all(client, "steady", 10)
    finally:
        handler.stop_processes()
    assert all(wf.status == "COMPLETED" for wf in first + second)
    records, stderr = notebook_view()
    # one warning per polling thread when the server went away, then one "works again" each: no storm (a thread
    # that was updating a task, not polling, when the server died retries the update quietly and logs neither)
    quiet(records, stderr, max_warnings=threads)
    again = [r for r in records if r.levelno == logging.INFO and "works again" in r.getMessage()]
    assert 1 <= len(again) <= threads
