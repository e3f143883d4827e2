"""Control-flow builders: SWITCH, DECISION, FORK_JOIN, JOIN, EXCLUSIVE_JOIN, DO_WHILE (and its loop forms) and
FORK_JOIN_DYNAMIC."""

from __future__ import annotations

import copy
from enum import Enum
from typing import Optional

from ...models import TaskType, WorkflowTask
from ..task import TaskInterface, to_workflow_tasks


def _as_list(tasks: TaskInterface | list[TaskInterface]) -> list[TaskInterface]:
    """A deep copy of `tasks` as a list: the SDK takes one task or a list wherever it takes a branch."""
    return copy.deepcopy(tasks if isinstance(tasks, list) else [tasks])


class EvaluatorType(str, Enum):
    """How a SWITCH evaluates its expression."""

    JAVASCRIPT = "javascript"
    ECMASCRIPT = "graaljs"
    VALUE_PARAM = "value-param"


class SwitchTask(TaskInterface):
    """A SWITCH: runs the case named by `case_expression` (a value, or JavaScript with `use_javascript`)."""

    def __init__(self, task_ref_name: str, case_expression: str, use_javascript: bool = False):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.SWITCH)
        self._case_expression = case_expression
        self._use_javascript = use_javascript
        self._decision_cases: dict[str, list[TaskInterface]] = {}
        self._default_case: list[TaskInterface] = []

    def switch_case(self, case_name: str, tasks: TaskInterface | list[TaskInterface]) -> SwitchTask:
        self._decision_cases[case_name] = _as_list(tasks)
        return self

    def default_case(self, tasks: TaskInterface | list[TaskInterface]) -> SwitchTask:
        self._default_case = _as_list(tasks)
        return self

    def to_workflow_task(self) -> WorkflowTask:
        wt = super().to_workflow_task()
        if self._use_javascript:
            wt.evaluator_type, wt.expression = EvaluatorType.ECMASCRIPT.value, self._case_expression
        else:
            wt.evaluator_type, wt.expression = EvaluatorType.VALUE_PARAM.value, "switchCaseValue"
            wt.input_parameters["switchCaseValue"] = self._case_expression
        wt.decision_cases = {name: to_workflow_tasks(tasks) for name, tasks in self._decision_cases.items()}
        wt.default_case = to_workflow_tasks(self._default_case)
        return wt


class DecisionTask(SwitchTask):
    """The legacy DECISION (SWITCH's predecessor; the official SDK has no builder for it), built as SwitchTask is:
    the case is the value `case_expression` (the input `caseValue`, Conductor's caseValueParam), or with
    `use_javascript` the result of that JavaScript (caseExpression, `$` bound to the inputs)."""

    def __init__(self, task_ref_name: str, case_expression: str, use_javascript: bool = False):
        super().__init__(task_ref_name, case_expression, use_javascript)
        self.task_type = TaskType.DECISION

    def to_workflow_task(self) -> WorkflowTask:
        wt = super().to_workflow_task()
        wt.evaluator_type = wt.expression = None
        wt.input_parameters.pop("switchCaseValue", None)
        if self._use_javascript:
            wt.case_expression = self._case_expression
        else:
            wt.case_value_param = "caseValue"
            wt.input_parameters["caseValue"] = self._case_expression
        return wt


class JoinTask(TaskInterface):
    """A JOIN: waits for the tasks in `join_on` (or until `join_on_script`, JavaScript, says it is done)."""

    def __init__(self, task_ref_name: str, join_on: Optional[list[str]] = None,
                 join_on_script: Optional[str] = None):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.JOIN)
        self._join_on = copy.deepcopy(join_on)
        self._join_on_script = join_on_script

    def to_workflow_task(self) -> WorkflowTask:
        wt = super().to_workflow_task()
        wt.join_on = copy.deepcopy(self._join_on)
        if self._join_on_script is not None:
            wt.evaluator_type, wt.expression = "js", self._join_on_script
        return wt


class ExclusiveJoinTask(TaskInterface):
    """An EXCLUSIVE_JOIN after a DECISION/SWITCH: completes with the output of whichever of `join_on` ran, or of
    `default_exclusive_join_task` (the official SDK has no builder for it)."""

    def __init__(self, task_ref_name: str, join_on: list[str],
                 default_exclusive_join_task: Optional[list[str]] = None):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.EXCLUSIVE_JOIN)
        self._join_on = list(join_on)
        self._default = list(default_exclusive_join_task or [])

    def to_workflow_task(self) -> WorkflowTask:
        wt = super().to_workflow_task()
        wt.join_on = list(self._join_on)
        if self._default:
            wt.default_exclusive_join_task = list(self._default)
        return wt


class ForkTask(TaskInterface):
    """A FORK_JOIN running each list of `forked_tasks` as a parallel branch.

    With `join_on`, `to_workflow_task()` returns the fork and its JOIN (`<ref>_join`); without, the fork alone,
    and a ConductorWorkflow adds the JOIN after it.
    """

    def __init__(self, task_ref_name: str, forked_tasks: list[list[TaskInterface]],
                 join_on: Optional[list[str]] = None):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.FORK_JOIN)
        self._forked_tasks = copy.deepcopy(forked_tasks)
        self._join_on = join_on

    def to_workflow_task(self) -> WorkflowTask | list[WorkflowTask]:
        wt = super().to_workflow_task()
        wt.fork_tasks = [to_workflow_tasks(branch) for branch in self._forked_tasks]
        wt.join_on = [branch[-1].task_reference_name for branch in wt.fork_tasks]
        if self._join_on is None:
            return wt
        return [wt, JoinTask(self.task_reference_name + "_join", join_on=self._join_on).to_workflow_task()]


class DoWhileTask(TaskInterface):
    """A DO_WHILE: runs `tasks` again while `termination_condition` (JavaScript) is true."""

    def __init__(self, task_ref_name: str, termination_condition: str,
                 tasks: TaskInterface | list[TaskInterface]):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.DO_WHILE)
        self._loop_condition = termination_condition
        self._loop_over = _as_list(tasks)

    def to_workflow_task(self) -> WorkflowTask:
        wt = super().to_workflow_task()
        wt.loop_condition = self._loop_condition
        wt.loop_over = to_workflow_tasks(self._loop_over)
        return wt


def _iterations_below(task_ref_name: str, iterations: int) -> str:
    """The official SDK's loop condition for a fixed number of iterations."""
    return f"if ( $.{task_ref_name}.iteration < {iterations} ) {{ true; }} else {{ false; }}"


class LoopTask(DoWhileTask):
    """A DO_WHILE running `tasks` `iterations` times."""

    def __init__(self, task_ref_name: str, iterations: int, tasks: TaskInterface | list[TaskInterface]):
        super().__init__(task_ref_name, _iterations_below(task_ref_name, iterations), tasks)


class ForEachTask(DoWhileTask):
    """A DO_WHILE over the list `iterate_over` (its `items` input); `variables` is accepted and unused, as upstream."""

    def __init__(self, task_ref_name: str, tasks: TaskInterface | list[TaskInterface], iterate_over: str,
                 variables: Optional[list[str]] = None):
        super().__init__(task_ref_name, _iterations_below(task_ref_name, 0), tasks)
        self.input_parameter("items", iterate_over)


class DynamicForkTask(TaskInterface):
    """A FORK_JOIN_DYNAMIC whose branches come from the `tasks_param` input; `to_workflow_task()` also gives `join_task`."""

    def __init__(self, task_ref_name: str, tasks_param: str = "dynamicTasks",
                 tasks_input_param_name: str = "dynamicTasksInputs", join_task: Optional[JoinTask] = None):
        super().__init__(task_reference_name=task_ref_name, task_type=TaskType.FORK_JOIN_DYNAMIC)
        self.tasks_param = tasks_param
        self.tasks_input_param_name = tasks_input_param_name
        self._join_task = copy.deepcopy(join_task)

    def to_workflow_task(self) -> list[WorkflowTask]:
        wt = super().to_workflow_task()
        wt.dynamic_fork_tasks_param = self.tasks_param
        wt.dynamic_fork_tasks_input_param_name = self.tasks_input_param_name
        return [wt] if self._join_task is None else [wt, self._join_task.to_workflow_task()]
