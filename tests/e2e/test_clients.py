"""The official SDK's clients, used as its examples use them, on the embedded engine."""

import pytest

from conductor_nb import (
    ConductorWorkflow,
    NotFoundError,
    OrkesClients,
    SimpleTask,
    StartWorkflowRequest,
    TaskDef,
    TaskResult,
)


def test_clients_register_start_poll_update_and_read(config):
    clients = OrkesClients(configuration=config)
    metadata = clients.get_metadata_client()
    workflows = clients.get_workflow_client()
    tasks = clients.get_task_client()
    executor = clients.get_workflow_executor()

    metadata.register_task_def(TaskDef(name="cl_task", retry_count=0))
    assert metadata.get_task_def("cl_task").retry_count == 0
    wf = ConductorWorkflow(executor=executor, name="cl_flow", version=2, description="client test")
    wf >> SimpleTask("cl_task", "t1").input(key="v", value=wf.input("v"))
    wf.register(overwrite=True)
    assert metadata.get_workflow_def("cl_flow").description == "client test"

    wf_id = workflows.start_workflow_by_name("cl_flow", {"v": 1}, correlationId="corr")
    other_id = wf.start_workflow_with_input({"v": 2}, correlation_id="corr2")
    polled = tasks.batch_poll_tasks("cl_task", worker_id="me", count=2, timeout_in_millisecond=100)
    assert sorted(t.input_data["v"] for t in polled) == [1, 2]
    for t in polled:
        tasks.update_task(TaskResult(task_id=t.task_id, workflow_instance_id=t.workflow_instance_id,
                                     status="COMPLETED", output_data={"twice": t.input_data["v"] * 2}))
    assert workflows.get_workflow(wf_id).output == {"twice": 2}
    assert executor.get_workflow(other_id).output == {"twice": 4}
    assert workflows.get_workflow_status(wf_id, include_output=True).output == {"twice": 2}

    started = executor.start_workflows(StartWorkflowRequest(name="cl_flow", input={"v": 3}))
    task = tasks.poll_task("cl_task", "me")
    executor.update_task(task.task_id, started[0], {"done": True}, "COMPLETED")
    assert executor.get_workflow(started[0]).status == "COMPLETED"

    workflows.remove_workflow(wf_id)
    with pytest.raises(NotFoundError):
        workflows.get_workflow(wf_id)
    metadata.unregister_workflow_def("cl_flow", 2)
    assert [d.name for d in metadata.get_all_workflow_defs()] == []


def test_clients_steer_search_and_test_workflows(config):
    from conductor_nb import (RerunWorkflowRequest, WaitTask, WorkflowStateUpdate, WorkflowTestRequest,
                              WorkflowStatus, TerminateTask)

    clients = OrkesClients(configuration=config)
    workflows, tasks, executor = clients.get_workflow_client(), clients.get_task_client(), clients.get_workflow_executor()
    wf = ConductorWorkflow(executor=executor, name="cl_ops", version=1)
    wf >> SimpleTask("cl_step", "step").input(key="v", value=wf.input("v")) >> WaitTask("hold")
    wf.register(overwrite=True)
    wf_id = workflows.start_workflow_by_name("cl_ops", {"v": 1}, correlationId="cc")
    assert tasks.get_queue_size_for_task("cl_step") == 1
    step = tasks.poll_task("cl_step", "me")
    assert [d.worker_id for d in tasks.get_task_poll_data("cl_step")] == ["me"]
    tasks.update_task(TaskResult(task_id=step.task_id, workflow_instance_id=wf_id, status="FAILED",
                                 reason_for_incompletion="boom"))
    # a registered task def would retry; the default one waits 60 s: terminate and retry by hand instead
    workflows.terminate_workflow(wf_id, reason="stop")
    workflows.retry_workflow(wf_id)
    assert workflows.get_workflow(wf_id).status == "RUNNING"
    step = tasks.poll_task("cl_step", "me")
    run = tasks.update_task_sync(wf_id, "step", "COMPLETED", {"ok": True})
    assert run.get_task(task_reference_name="hold").status == "IN_PROGRESS"
    workflows.update_variables(wf_id, {"note": "x"})
    state = workflows.update_state(wf_id, WorkflowStateUpdate(task_reference_name="hold",
                                                              task_result=TaskResult(status="COMPLETED")))
    assert state.status == "COMPLETED" and state.variables == {"note": "x"}
    executor.rerun(RerunWorkflowRequest(re_run_from_task_id=run.get_task(task_reference_name="hold").task_id),
                   wf_id)
    executor.signal(wf_id, "COMPLETED", {"signalled": True})
    assert workflows.get_workflow(wf_id).status == "COMPLETED"
    executor.restart(wf_id)
    assert executor.get_workflow(wf_id).tasks[0].reference_task_name == "step"
    hits = workflows.search(query="correlationId = 'cc'")
    assert [s.workflow_id for s in hits.results] == [wf_id]
    assert list(executor.get_by_correlation_ids("cl_ops", ["cc"], include_closed=True)) == ["cc"]

    test = WorkflowTestRequest(name="cl_ops", version=1, input={"v": 2},
                               task_ref_to_mock_output={"step": [{"status": "COMPLETED", "output": {"m": 1}}],
                                                        "hold": [{"status": "COMPLETED", "output": {}}]})
    tested = workflows.test_workflow(test)
    assert tested.status == "COMPLETED" and tested.tasks[0].output_data == {"m": 1}

    stop = ConductorWorkflow(executor=executor, name="cl_stop", version=1)
    stop >> TerminateTask("t", WorkflowStatus.TERMINATED, "because")
    assert stop.execute(workflow_input={}).status == "TERMINATED"
