"""Small builders shared by the contract tests: definitions as plain Conductor JSON, and a worker loop."""

import threading
import time

from conductor_nb import StartWorkflowRequest, TaskResult, WorkflowDef


def wt(ref, type="SIMPLE", name=None, **fields):
    """A WorkflowTask as Conductor JSON (camelCase keys)."""
    return {"name": name or ref, "taskReferenceName": ref, "type": type, **fields}


def run(api, tasks, input=None, wait=10, **definition):
    """Execute an inline definition and return the finished (or timed-out) run."""
    wf_def = WorkflowDef.from_dict({"name": definition.pop("name", "t"), "version": 1, "tasks": tasks,
                                    **definition})
    return api.execute_workflow(StartWorkflowRequest(name=wf_def.name, workflow_def=wf_def, input=input or {}),
                                wait_for_seconds=wait)


def start(api, tasks, input=None, **definition):
    wf_def = WorkflowDef.from_dict({"name": definition.pop("name", "t"), "version": 1, "tasks": tasks,
                                    **definition})
    return api.start_workflow(StartWorkflowRequest(name=wf_def.name, workflow_def=wf_def, input=input or {}))


def wait_for(api, workflow_id, statuses=("COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT"), timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        wf = api.get_workflow(workflow_id)
        if wf.status in statuses or time.monotonic() > deadline:
            return wf
        time.sleep(0.01)


class Workers:
    """Background threads answering SIMPLE tasks with plain functions of their input (dict in, dict out)."""

    def __init__(self, api, **functions):
        self.api = api
        self.functions = functions
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(name,), daemon=True) for name in functions]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(5)

    def _loop(self, name):
        while not self.stop.is_set():
            for task in self.api.batch_poll_tasks(name, "test", 10, 100):
                try:
                    output, status = self.functions[name](task.input_data), "COMPLETED"
                except Exception as e:
                    output, status = {"error": str(e)}, "FAILED"
                self.api.update_task(TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id,
                                                status=status, output_data=output, reason_for_incompletion=
                                                output.get("error") if status == "FAILED" else None))
