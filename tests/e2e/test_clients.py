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
