"""Builders that act on workflows: sub-workflows, START_WORKFLOW, variables, TERMINATE, waits, HUMAN, DYNAMIC."""

from __future__ import annotations

import copy
from enum import Enum
from typing import TYPE_CHECKING, Any, Optional

from ...models import StartWorkflowRequest, SubWorkflowParams, TaskType, WorkflowStatus, WorkflowTask
from ..task import TaskInterface

if TYPE_CHECKING:
    from ..conductor_workflow import ConductorWorkflow


class SubWorkflowTask(TaskInterface):
    """A SUB_WORKFLOW running the registered workflow `workflow_name` (latest version unless `version`)."""

    def __init__(self, task_ref_name: str, workflow_name: str, version: Optional[int] = None,
                 task_to_domain_map: Optional[dict[str, str]] = None):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.SUB_WORKFLOW)
        self._params = SubWorkflowParams(name=workflow_name, version=version,
                                         task_to_domain=copy.deepcopy(task_to_domain_map))

    def to_workflow_task(self) -> WorkflowTask:
        wt = super().to_workflow_task()
        wt.sub_workflow_param = copy.deepcopy(self._params)
        return wt


class InlineSubWorkflowTask(SubWorkflowTask):
    """A SUB_WORKFLOW carrying `workflow`'s definition (as it is now), so it needs no registration."""

    def __init__(self, task_ref_name: str, workflow: ConductorWorkflow):
        super().__init__(task_ref_name, workflow.name, workflow.version)
        self._params.workflow_definition = copy.deepcopy(workflow.to_workflow_def())


class StartWorkflowTask(TaskInterface):
    """A START_WORKFLOW task: starts `workflow_name` with the request's input and correlation id, without waiting."""

    def __init__(self, task_ref_name: str, workflow_name: str, start_workflow_request: StartWorkflowRequest,
                 version: Optional[int] = None):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.START_WORKFLOW, input_parameters={
            "startWorkflow": {
                "name": workflow_name, "version": version, "input": copy.deepcopy(start_workflow_request.input),
                "correlationId": start_workflow_request.correlation_id,
            },
        })


class SetVariableTask(TaskInterface):
    """A SET_VARIABLE task: its input parameters become workflow variables."""

    def __init__(self, task_ref_name: str):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.SET_VARIABLE)


class TerminateTask(TaskInterface):
    """A TERMINATE task ending the workflow with `status` and `termination_reason`."""

    def __init__(self, task_ref_name: str, status: WorkflowStatus | str, termination_reason: str):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.TERMINATE, input_parameters={
            "terminationStatus": WorkflowStatus(status).value, "terminationReason": termination_reason,
        })


class NoopTask(TaskInterface):
    """A NOOP task: completes at once and does nothing (the official SDK has no builder for it)."""

    def __init__(self, task_ref_name: str):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.NOOP)


class WaitTask(TaskInterface):
    """A WAIT task: until completed from outside, or for `wait_for_seconds`, or until `wait_until` (a date/time)."""

    def __init__(self, task_ref_name: str, wait_until: Optional[str] = None, wait_for_seconds: Optional[int] = None):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.WAIT)
        if wait_until is not None and wait_for_seconds is not None:
            raise ValueError("both wait_until and wait_for_seconds are provided.  ONLY one is allowed")
        if wait_until is not None:
            self.input_parameters = {"until": wait_until}
        if wait_for_seconds is not None:
            self.input_parameters = {"duration": f"{wait_for_seconds}s"}


class WaitForDurationTask(WaitTask):
    """A WAIT task lasting `duration_time_seconds`."""

    def __init__(self, task_ref_name: str, duration_time_seconds: int):
        super().__init__(task_ref_name, wait_for_seconds=duration_time_seconds)


class WaitUntilTask(WaitTask):
    """A WAIT task lasting until `date_time` (e.g. `2024-12-25 05:25 PST`)."""

    def __init__(self, task_ref_name: str, date_time: str):
        super().__init__(task_ref_name, wait_until=date_time)


class WaitForWebHookTask(TaskInterface):
    """A WAIT_FOR_WEBHOOK task (Orkes): completed by the incoming webhook whose payload `matches`."""

    def __init__(self, task_ref_name: str, matches: dict[str, Any]):
        super().__init__(task_reference_name=task_ref_name, task_type="WAIT_FOR_WEBHOOK",
                         input_parameters={"matches": matches})


def wait_for_webhook(task_ref_name: str, matches: dict[str, Any],
                     task_def_name: Optional[str] = None) -> WaitForWebHookTask:
    task = WaitForWebHookTask(task_ref_name, matches)
    task.name = task_def_name or task.name
    return task


class PullWorkflowMessagesTask(TaskInterface):
    """A PULL_WORKFLOW_MESSAGES task (Orkes): takes up to `batch_size` messages sent to the workflow."""

    def __init__(self, task_ref_name: str, batch_size: int = 1):
        super().__init__(task_reference_name=task_ref_name, task_type="PULL_WORKFLOW_MESSAGES",
                         input_parameters={"batchSize": batch_size})


class AssignmentCompletionStrategy(str, Enum):
    """What happens to a HUMAN task's assignment once it is completed."""

    LEAVE_OPEN = "LEAVE_OPEN"
    TERMINATE = "TERMINATE"

    def __str__(self) -> str:
        return self.name


class TriggerType(str, Enum):
    """The HUMAN task events an assignment policy can react to."""

    ASSIGNED = "ASSIGNED"
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    TIMED_OUT = "TIMED_OUT"
    ASSIGNEE_CHANGED = "ASSIGNEE_CHANGED"

    def __str__(self) -> str:
        return self.name


class HumanTask(TaskInterface):
    """A HUMAN task (Orkes): waits for a person to fill in the form `form_template`."""

    def __init__(self, task_ref_name: str, display_name: Optional[str] = None, form_template: Optional[str] = None,
                 form_version: int = 0,
                 assignment_completion_strategy: AssignmentCompletionStrategy = AssignmentCompletionStrategy.LEAVE_OPEN):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.HUMAN, input_parameters={
            "__humanTaskDefinition": {
                "assignmentCompletionStrategy": assignment_completion_strategy.name,
                "displayName": display_name,
                "userFormTemplate": {"name": form_template, "version": form_version},
            },
        })


class DynamicTask(TaskInterface):
    """A DYNAMIC task: runs the task named by its `dynamic_task_param` input (set to `dynamic_task`)."""

    def __init__(self, dynamic_task: str, task_reference_name: str, dynamic_task_param: str = "taskToExecute"):
        super().__init__(task_reference_name=task_reference_name, task_type=TaskType.DYNAMIC,
                         task_name="dynamic_task", input_parameters={dynamic_task_param: dynamic_task})
        self._dynamic_task_param = dynamic_task_param

    def to_workflow_task(self) -> WorkflowTask:
        wt = super().to_workflow_task()
        wt.dynamic_task_name_param = self._dynamic_task_param
        return wt
