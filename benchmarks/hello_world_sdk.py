"""W0's fresh process for the official conductor-python SDK: its hello world, against CONDUCTOR_SERVER_URL."""

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker_task import worker_task
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor


@worker_task(task_definition_name="greet")
def greet(name: str) -> str:
    return f"Hello {name}"


def main():
    api_config = Configuration()
    workflow_executor = WorkflowExecutor(configuration=api_config)
    workflow = ConductorWorkflow(name="greetings", executor=workflow_executor)
    workflow.version = 1
    workflow >> greet(task_ref_name="greet_ref", name=workflow.input("name"))
    workflow.register(True)
    task_handler = TaskHandler(configuration=api_config)
    task_handler.start_processes()
    try:
        run = workflow_executor.execute(name=workflow.name, version=workflow.version,
                                        workflow_input={"name": "World"})
    finally:
        task_handler.stop_processes()
    print(f"workflow result: {run.output['result']}")


if __name__ == "__main__":
    main()
