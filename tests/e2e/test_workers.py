"""TaskHandler runs workers on threads against the embedded engine, and stops them promptly and cleanly."""

import threading
import time

from conductor_nb import Configuration, ConductorWorkflow, SimpleTask, TaskHandler, Worker, WorkflowExecutor, connect


def greet(name: str) -> str:
    return f"Hello {name}"


def worker_threads():
    return [t for t in threading.enumerate() if t.name.startswith("conductor-worker-") and t.is_alive()]


def test_workers_run_workflows_and_stop(config, executor):
    wf = ConductorWorkflow(executor=executor, name="th_greetings", version=1)
    wf >> SimpleTask("th_greet", "greet_ref").input(key="name", value=wf.input("name"))
    handler = TaskHandler(workers=[Worker("th_greet", greet, thread_count=2)], configuration=config,
                          scan_for_annotated_workers=False)
    handler.start_processes()
    try:
        assert len(worker_threads()) == 2 and handler.is_healthy()
        runs = [wf.execute(workflow_input={"name": n}) for n in ("a", "b", "c")]
        assert [r.output["result"] for r in runs] == ["Hello a", "Hello b", "Hello c"]
        assert all(r.status == "COMPLETED" for r in runs)
    finally:
        handler.stop_processes()
    assert worker_threads() == []


def test_stop_fails_a_task_still_executing_so_it_is_retried(config, executor):
    release = threading.Event()
    started = threading.Event()

    def slow(x):
        started.set()
        release.wait(30)
        return {"late": True}

    wf = ConductorWorkflow(executor=executor, name="th_slow", version=1)
    wf >> SimpleTask("th_slow_task", "slow_ref").input(key="x", value=1)
    with TaskHandler(workers=[Worker("th_slow_task", slow)], configuration=config,
                     scan_for_annotated_workers=False) as handler:
        handler.start_processes()
        wf_id = wf.start_workflow_with_input({})
        assert started.wait(10)
        began = time.monotonic()
        handler.stop_processes()
        stop_took = time.monotonic() - began
    assert stop_took < 3, f"stop took {stop_took:.1f}s"
    tasks = executor.get_workflow(wf_id).tasks
    assert tasks[0].status == "FAILED"
    assert tasks[0].reason_for_incompletion == "worker stopped before the task finished"
    assert tasks[1].status == "SCHEDULED" and tasks[1].retried_task_id == tasks[0].task_id
    release.set()  # the abandoned call finishes now; its late result must not change anything
    time.sleep(0.2)
    assert executor.get_workflow(wf_id).tasks[0].status == "FAILED"


def test_register_task_def_registers_on_start(config):
    handler = TaskHandler(workers=[Worker("th_registered", greet, register_task_def=True)], configuration=config,
                          scan_for_annotated_workers=False)
    handler.start_processes()
    handler.stop_processes()
    assert connect(config).get_task_def("th_registered").retry_count == 3


def test_equal_configurations_share_one_engine(config, tmp_path):
    same = Configuration(db_path=str(tmp_path / "conductor.db"))
    assert connect(config) is connect(same)
    assert WorkflowExecutor(same).workflow_client.api is connect(config)
