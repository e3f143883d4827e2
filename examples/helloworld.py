"""The official SDK's hello world with only the imports changed: runs on the embedded engine, no server needed."""
from conductor_nb import Configuration, ConductorWorkflow, TaskHandler, WorkflowExecutor, worker_task


@worker_task(task_definition_name='greet')
def greet(name: str) -> str:
    return f'Hello {name}'


def main():
    api_config = Configuration()          # no CONDUCTOR_SERVER_URL set: the embedded engine
    workflow_executor = WorkflowExecutor(configuration=api_config)
    workflow = ConductorWorkflow(name='greetings', executor=workflow_executor)
    workflow.version = 1
    workflow >> greet(task_ref_name='greet_ref', name=workflow.input('name'))
    workflow.register(True)
    task_handler = TaskHandler(configuration=api_config)
    task_handler.start_processes()
    workflow_run = workflow_executor.execute(name=workflow.name, version=workflow.version,
                                             workflow_input={'name': 'Orkes'})
    print(f'workflow result: {workflow_run.output["result"]}')
    where = f'stored in {api_config.db_path}' if api_config.db_path else f'on {api_config.host}'
    print(f'workflow id: {workflow_run.workflow_id} ({workflow_run.status}), {where}')
    task_handler.stop_processes()


if __name__ == '__main__':
    main()
