"""The official SDK's metadata, workflow and task clients against `conductor-nb server`, run by tests.

Each step's outcome (a value, or the error it raised) is printed as one JSON object, for the test to check.
"""

import json
import time

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models import StartWorkflowRequest, TaskDef, TaskResult, WorkflowDef, WorkflowTask
from conductor.client.http.models.workflow_test_request import TaskMock, WorkflowTestRequest
from conductor.client.orkes_clients import OrkesClients
from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor

outcomes = {}


def step(name, action):
    try:
        outcomes[name] = action()
    except Exception as e:  # record what the SDK raised, the test decides
        outcomes[name] = {"error": type(e).__name__, "status": getattr(e, "status", None)}


def main():
    clients = OrkesClients(Configuration())
    metadata, workflows, tasks = (clients.get_metadata_client(), clients.get_workflow_client(),
                                  clients.get_task_client())

    step("register_task_def", lambda: metadata.register_task_def(TaskDef(name="sdk_a", retry_count=0)))
    step("get_task_def", lambda: metadata.get_task_def("sdk_a").to_dict())
    step("update_task_def", lambda: metadata.update_task_def(TaskDef(name="sdk_a", retry_count=2)))
    step("get_all_task_defs", lambda: [d.name for d in metadata.get_all_task_defs()])
    definition = WorkflowDef(name="sdk_flow", version=1, tasks=[
        WorkflowTask(name="sdk_a", task_reference_name="a_ref", type="SIMPLE",
                     input_parameters={"who": "${workflow.input.who}"}),
        WorkflowTask(name="sdk_a", task_reference_name="b_ref", type="SIMPLE"),
    ])
    step("register_workflow_def", lambda: metadata.register_workflow_def(definition, overwrite=True))
    step("get_workflow_def", lambda: metadata.get_workflow_def("sdk_flow").to_dict())
    step("get_all_workflow_defs", lambda: [(d.name, d.version) for d in metadata.get_all_workflow_defs()])

    workflow_id = workflows.start_workflow(StartWorkflowRequest(name="sdk_flow", version=1, input={"who": "sdk"},
                                                                correlation_id="corr-1"))
    outcomes["start_workflow"] = workflow_id
    step("get_workflow", lambda: workflows.get_workflow(workflow_id, include_tasks=True).to_dict())
    step("get_workflow_status", lambda: workflows.get_workflow_status(workflow_id, include_output=True).to_dict())
    step("start_workflow_by_name", lambda: workflows.start_workflow_by_name("sdk_flow", {"who": "by name"},
                                                                            version=1))

    polled = tasks.poll_task("sdk_a", worker_id="sdk-worker")
    outcomes["poll_task"] = polled.to_dict()
    step("get_task", lambda: tasks.get_task(polled.task_id).to_dict())
    step("add_task_log", lambda: tasks.add_task_log(polled.task_id, "from the sdk"))
    step("get_task_logs", lambda: [entry.log for entry in tasks.get_task_logs(polled.task_id)])
    step("update_task", lambda: tasks.update_task(TaskResult(
        workflow_instance_id=polled.workflow_instance_id, task_id=polled.task_id, status="COMPLETED",
        output_data={"done": polled.input_data.get("who")}, worker_id="sdk-worker")))
    step("empty_batch_poll", lambda: tasks.batch_poll_tasks("nothing_here", "sdk-worker", 1, 10))
    step("empty_poll", lambda: tasks.poll_task("nothing_here", worker_id="sdk-worker"))
    step("queue_size", lambda: tasks.get_queue_size_for_task("sdk_a"))
    step("poll_data", lambda: [p.to_dict() for p in tasks.get_task_poll_data("sdk_a")])

    step("pause_workflow", lambda: workflows.pause_workflow(workflow_id))
    step("status_paused", lambda: workflows.get_workflow(workflow_id, include_tasks=False).status)
    step("resume_workflow", lambda: workflows.resume_workflow(workflow_id))
    step("update_task_by_ref_name", lambda: tasks.update_task_by_ref_name(
        workflow_id, "b_ref", "COMPLETED", {"by": "ref"}))
    step("completed", lambda: workflows.get_workflow(workflow_id).to_dict())

    second = workflows.start_workflow(StartWorkflowRequest(name="sdk_flow", version=1, input={}))
    step("terminate_workflow", lambda: workflows.terminate_workflow(second, reason="enough"))
    step("terminated", lambda: workflows.get_workflow(second).status)
    step("search", lambda: workflows.search(query="workflowType = 'sdk_flow'").to_dict())
    step("restart_workflow", lambda: workflows.restart_workflow(second))
    step("restarted", lambda: workflows.get_workflow(second, include_tasks=False).status)

    failing = workflows.start_workflow(StartWorkflowRequest(name="sdk_flow", version=1, input={"who": "fails"}))
    step("fail_task", lambda: tasks.update_task_by_ref_name(failing, "a_ref", "FAILED_WITH_TERMINAL_ERROR", {}))
    step("failed", lambda: workflows.get_workflow(failing, include_tasks=False).status)
    step("retry_workflow", lambda: workflows.retry_workflow(failing))
    step("retried", lambda: workflows.get_workflow(failing).to_dict())

    step("test_workflow", lambda: workflows.test_workflow(WorkflowTestRequest(
        name="sdk_flow", version=1, input={"who": "test"}, task_ref_to_mock_output={
            "a_ref": [TaskMock(status="COMPLETED", output={"mocked": "a"})],
            "b_ref": [TaskMock(status="COMPLETED", output={"mocked": "b"})],
        })).to_dict())
    signals(metadata, workflows)
    step("get_by_correlation_ids", lambda: {k: len(v) for k, v in workflows.get_by_correlation_ids(
        "sdk_flow", ["corr-1"], include_completed=True).items()})
    step("update_variables", lambda: workflows.update_variables(workflow_id, {"x": 1}))
    workflows.terminate_workflow(second, reason="done")  # Conductor archives only ended workflows
    step("delete_workflow", lambda: workflows.delete_workflow(second))
    step("deleted", lambda: workflows.get_workflow(second))
    step("unregister_workflow_def", lambda: metadata.unregister_workflow_def("sdk_flow", 1))
    step("unregister_task_def", lambda: metadata.unregister_task_def("sdk_a"))
    if Configuration().authentication_settings is not None:  # the token outlives a short TTL: the SDK renews it
        time.sleep(0.6)
        step("after_token_expiry", lambda: [d.name for d in metadata.get_all_task_defs()])
    print(json.dumps(outcomes, default=str))


def signals(metadata, workflows):
    """WorkflowExecutor.signal (sync, a SignalResponse) and signal_async (None) on a timed WAIT and a gate."""
    executor = WorkflowExecutor(Configuration())
    metadata.register_workflow_def(WorkflowDef(name="sdk_waits", version=1, tasks=[
        WorkflowTask(name="timed", task_reference_name="timed", type="WAIT", input_parameters={"duration": "1 h"}),
        WorkflowTask(name="gate", task_reference_name="gate", type="WAIT"),
    ]), overwrite=True)
    waiting = workflows.start_workflow(StartWorkflowRequest(name="sdk_waits", version=1, input={}))

    def signal():
        answer = executor.signal(waiting, "COMPLETED", {"k": 1})
        return {"type": type(answer).__name__, "response_type": answer.response_type,
                "workflow_id": answer.workflow_id == waiting, "status": answer.status,
                "tasks": [(t["referenceTaskName"], t["status"]) for t in answer.tasks]}

    def blocking_task():
        answer = executor.signal(waiting, "IN_PROGRESS", {"k": 2}, return_strategy="BLOCKING_TASK")
        return {"response_type": answer.response_type, "reference_task_name": answer.reference_task_name,
                "task_type": answer.task_type, "status": getattr(answer.status, "value", answer.status)}

    step("signal", signal)
    step("signal_blocking_task", blocking_task)
    step("signal_async", lambda: executor.signal_async(waiting, "COMPLETED", {"k": 3}))
    step("signalled", lambda: workflows.get_workflow(waiting).to_dict())
    step("signal_nothing", lambda: executor.signal(waiting, "COMPLETED", {}))
    metadata.unregister_workflow_def("sdk_waits", 1)


if __name__ == "__main__":
    main()
