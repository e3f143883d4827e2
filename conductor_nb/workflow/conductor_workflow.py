"""ConductorWorkflow: build a workflow in code with `>>`, then register, start or execute it."""

from __future__ import annotations

import copy
import uuid
from typing import Any, Optional, Union

from ..models import (
    IdempotencyStrategy,
    StartWorkflowRequest,
    TaskType,
    TimeoutPolicy,
    WorkflowDef,
    WorkflowRun,
    WorkflowTask,
)
from ..models.display import DiagramDisplay
from .task import TaskInterface, to_workflow_tasks
from .tasks import ForkTask, InlineSubWorkflowTask, JoinTask

Step = Union[TaskInterface, "ConductorWorkflow"]


def _unique_suffix() -> str:
    return uuid.uuid4().hex


class ConductorWorkflow(DiagramDisplay):
    """A workflow definition being built, bound to the WorkflowExecutor that registers and runs it; in Jupyter it
    shows as its diagram (`to_dot()` and `render(path)` draw it for scripts)."""

    def __init__(self, executor, name: str, version: Optional[int] = None, description: Optional[str] = None):
        self._executor = executor
        self.name = name
        self.version = version
        self.description = description
        self._tasks: list[TaskInterface] = []
        self._owner_email: Optional[str] = None
        self._timeout_policy: Optional[TimeoutPolicy] = None
        self._timeout_seconds = 60
        self._failure_workflow = ""
        self._restartable = True
        self._output_parameters: dict = {}
        self._input_parameters: list | dict = []
        self._input_template: dict = {}
        self._variables: dict = {}
        self._workflow_status_listener_enabled = False
        self._workflow_status_listener_sink: Optional[str] = None

    # fluent settings, each returning the workflow
    def timeout_policy(self, timeout_policy: TimeoutPolicy) -> ConductorWorkflow:
        self._timeout_policy = timeout_policy
        return self

    def timeout_seconds(self, timeout_seconds: int) -> ConductorWorkflow:
        self._timeout_seconds = timeout_seconds
        return self

    def owner_email(self, owner_email: str) -> ConductorWorkflow:
        self._owner_email = owner_email
        return self

    def failure_workflow(self, failure_workflow: str) -> ConductorWorkflow:
        self._failure_workflow = failure_workflow
        return self

    def restartable(self, restartable: bool) -> ConductorWorkflow:
        self._restartable = restartable
        return self

    def enable_status_listener(self, sink_name: str) -> None:
        self._workflow_status_listener_enabled = True
        self._workflow_status_listener_sink = sink_name

    def disable_status_listener(self) -> None:
        self._workflow_status_listener_enabled = False
        self._workflow_status_listener_sink = None

    def output_parameters(self, output_parameters: dict[str, Any]) -> ConductorWorkflow:
        self._output_parameters = dict(output_parameters)
        return self

    def output_parameter(self, key: str, value: Any) -> ConductorWorkflow:
        self._output_parameters[key] = value
        return self

    def input_template(self, input_template: dict[str, Any]) -> ConductorWorkflow:
        self._input_template = dict(input_template)
        return self

    def variables(self, variables: dict[str, Any]) -> ConductorWorkflow:
        self._variables = dict(variables)
        return self

    def input_parameters(self, input_parameters: list[str] | dict) -> ConductorWorkflow:
        """A list names the workflow's inputs; a dict is its input template (the official SDK's convention),
        which also becomes the task inputs when this workflow is inlined into another."""
        if isinstance(input_parameters, dict):
            self._input_template = dict(input_parameters)
            return self
        if not isinstance(input_parameters, list) or not all(isinstance(p, str) for p in input_parameters):
            raise TypeError("input_parameters takes a list of input names or a dict (the input template)")
        self._input_parameters = list(input_parameters)
        return self

    def workflow_input(self, input: dict) -> ConductorWorkflow:
        self._input_template = dict(input)
        return self

    # expressions
    def input(self, json_path: Optional[str] = None) -> str:
        """`${workflow.input.<json_path>}`: a workflow input, for a task's input parameters."""
        return "${workflow.input}" if not json_path else "${workflow.input." + json_path + "}"

    def output(self, json_path: Optional[str] = None) -> str:
        return "${workflow.output}" if not json_path else "${workflow.output." + json_path + "}"

    # composition
    def add(self, task: Step | list[Step]) -> ConductorWorkflow:
        """Append a task, a workflow (inlined as a sub-workflow) or a list of them, one after the other."""
        for t in task if isinstance(task, list) else [task]:
            self._tasks.append(self._as_task(t))
        return self

    def __rshift__(self, task: Step | list[Step | list[Step]]) -> ConductorWorkflow:
        """Append a task or a workflow; a list forks, each item (a task or a list of tasks) being one branch."""
        if isinstance(task, list):
            branches = [[self._as_task(t) for t in (b if isinstance(b, list) else [b])] for b in task]
            self._tasks.append(ForkTask("forked_" + _unique_suffix(), branches))
            return self
        return self.add(task)

    @staticmethod
    def _as_task(step: Step) -> TaskInterface:
        """A copy of a task (later changes to it do not reach the workflow), or a workflow as an inline sub-workflow."""
        if isinstance(step, ConductorWorkflow):
            return step._as_inline_sub_workflow()
        if not isinstance(step, TaskInterface):
            raise TypeError(f"a workflow takes tasks (TaskInterface), not {type(step).__name__}: with @worker_task, "
                            "pass task_ref_name= to get a task")
        return copy.deepcopy(step)

    def _as_inline_sub_workflow(self) -> InlineSubWorkflowTask:
        task = InlineSubWorkflowTask(f"{self.name}_{_unique_suffix()}", self)
        task.input_parameters.update(self._input_template)
        return task

    def to_workflow_task(self) -> WorkflowTask:
        """This workflow as an inline SUB_WORKFLOW task, its definition embedded."""
        return self._as_inline_sub_workflow().to_workflow_task()

    def _workflow_tasks(self) -> list[WorkflowTask]:
        """The tasks' definitions, with a JOIN after every FORK_JOIN not already followed by one."""
        tasks = to_workflow_tasks(self._tasks)
        out: list[WorkflowTask] = []
        for wt, following in zip(tasks, tasks[1:] + [None]):
            out.append(wt)
            if wt.type == TaskType.FORK_JOIN and (following is None or following.type != TaskType.JOIN):
                join_on = [branch[-1].task_reference_name for branch in wt.fork_tasks]
                out.append(JoinTask("join_" + wt.task_reference_name, join_on=join_on).to_workflow_task())
        return out

    def to_workflow_def(self) -> WorkflowDef:
        return WorkflowDef(
            name=self.name, description=self.description, version=self.version,
            tasks=self._workflow_tasks(), input_parameters=self._input_parameters,
            output_parameters=self._output_parameters, failure_workflow=self._failure_workflow,
            schema_version=2, owner_email=self._owner_email, timeout_policy=self._timeout_policy,
            timeout_seconds=self._timeout_seconds, variables=self._variables, input_template=self._input_template,
            restartable=self._restartable,
            workflow_status_listener_enabled=self._workflow_status_listener_enabled,
            workflow_status_listener_sink=self._workflow_status_listener_sink,
        )

    # running
    def register(self, overwrite: bool) -> None:
        self._executor.register_workflow(self.to_workflow_def(), overwrite=overwrite)

    def start_workflow(self, start_workflow_request: StartWorkflowRequest) -> str:
        """Start with this definition embedded in the request: no registration needed."""
        request = copy.copy(start_workflow_request)
        request.workflow_def = self.to_workflow_def()
        request.name = self.name
        request.version = self.version
        return self._executor.start_workflow(request)

    def start_workflow_with_input(self, workflow_input: Optional[dict] = None, correlation_id: Optional[str] = None,
                                  task_to_domain: Optional[dict] = None, priority: Optional[int] = None,
                                  idempotency_key: Optional[str] = None,
                                  idempotency_strategy: IdempotencyStrategy = IdempotencyStrategy.FAIL) -> str:
        return self.start_workflow(StartWorkflowRequest(
            input=workflow_input or {}, correlation_id=correlation_id, task_to_domain=task_to_domain,
            priority=priority, idempotency_key=idempotency_key,
            idempotency_strategy=idempotency_strategy if idempotency_key else None,
        ))

    def execute(self, workflow_input: Any = None, wait_until_task_ref: str = "", wait_for_seconds: int = 10,
                request_id: Optional[str] = None, idempotency_key: Optional[str] = None,
                idempotency_strategy: IdempotencyStrategy = IdempotencyStrategy.FAIL,
                task_to_domain: Optional[dict] = None) -> WorkflowRun:
        """Run this definition (unregistered is fine) and wait up to `wait_for_seconds` for it to end."""
        request = StartWorkflowRequest(
            name=self.name, version=self.version, input=workflow_input or {}, workflow_def=self.to_workflow_def(),
            task_to_domain=task_to_domain, idempotency_key=idempotency_key,
            idempotency_strategy=idempotency_strategy if idempotency_key else None,
        )
        return self._executor.execute_workflow(request, wait_until_task_ref or None, wait_for_seconds, request_id)

    def __call__(self, **workflow_input: Any) -> WorkflowRun:
        return self.execute(workflow_input=workflow_input)
