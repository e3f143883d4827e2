"""The official SDK's hello world (examples/helloworld), run by tests against `conductor-nb server`.

Its worker runs in the SDK's own spawned processes. Prints the workflow run as one JSON line.
"""

import json

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker_task import worker_task
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor


@worker_task(task_definition_name="greet")
def greet(name: str) -> str:
    return f"Hello {name}"


def greetings_workflow(workflow_executor: WorkflowExecutor) -> ConductorWorkflow:
    workflow = ConductorWorkflow(name="greetings", executor=workflow_executor)
    workflow.version = 1
    workflow >> greet(task_ref_name="greet_ref", name=workflow.input("name"))
    return workflow


def main():
    api_config = Configuration()  # CONDUCTOR_SERVER_URL (and CONDUCTOR_AUTH_KEY / _SECRET) from the environment
    workflow_executor = WorkflowExecutor(configuration=api_config)
    workflow = greetings_workflow(workflow_executor)
    workflow.register(True)
    task_handler = TaskHandler(configuration=api_config)
    task_handler.start_processes()
    try:
        run = workflow_executor.execute(name=workflow.name, version=workflow.version,
                                        workflow_input={"name": "World"})
    finally:
        task_handler.stop_processes()
    print(json.dumps({"workflow_id": run.workflow_id, "status": run.status, "output": run.output}))


if __name__ == "__main__":
    main()
