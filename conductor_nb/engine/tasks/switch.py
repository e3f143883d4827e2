"""SWITCH and the legacy DECISION: pick a case by a value or a script, then run that case's tasks."""

from __future__ import annotations

from typing import Optional

from ...models import Task, TaskStatus, WorkflowTask
from .. import scripting
from ..expressions import java_string
from .base import TaskKind, TerminateWorkflow, complete

SCRIPT_EVALUATORS = ("javascript", "graaljs")


class Switch(TaskKind):
    type_name = "SWITCH"
    retriable = False

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        task = ctx.new_task(wt, self.type_name, retry_of, task_def_name=self.type_name)
        task.input_data = ctx.task_input(wt, task)
        ctx.add(task)
        try:
            case = self.case_of(wt, task.input_data)
        except scripting.ScriptError as e:
            complete(task, status=TaskStatus.FAILED.value, reason=f"Error while evaluating script: {e}")
            return [task]
        task.input_data["case"] = case
        task.start_time = task.end_time = ctx.now
        complete(task, self.output(case))
        selected = self.selected_tasks(wt, case)
        if selected:
            task.input_data["hasChildren"] = "true"
        ctx.touch(task)  # finished before its case runs: a TERMINATE in the case must not cancel it
        if selected:
            ctx.schedule(selected[0])
        return [task]

    def case_of(self, wt: WorkflowTask, inputs: dict) -> str:
        evaluator = wt.evaluator_type or "value-param"
        if evaluator == "value-param":
            return java_string(inputs.get(wt.expression))
        if evaluator in SCRIPT_EVALUATORS:
            return java_string(scripting.evaluate(wt.expression or "", inputs))
        raise TerminateWorkflow(f"No evaluator registered for type: {evaluator}")

    @staticmethod
    def output(case: str) -> dict:
        return {"evaluationResult": [case], "selectedCase": case}

    @staticmethod
    def selected_tasks(wt: WorkflowTask, case: str) -> list[WorkflowTask]:
        cases = wt.decision_cases or {}
        return cases[case] if case in cases else (wt.default_case or [])


class Decision(Switch):
    """The legacy DECISION: caseValueParam or a JavaScript caseExpression; a missing or empty case is default."""

    type_name = "DECISION"

    def case_of(self, wt: WorkflowTask, inputs: dict) -> str:
        if wt.case_expression:
            return java_string(scripting.evaluate(wt.case_expression, inputs))
        return java_string(inputs.get(wt.case_value_param))

    @staticmethod
    def output(case: str) -> dict:
        return {"caseOutput": [case]}

    @staticmethod
    def selected_tasks(wt: WorkflowTask, case: str) -> list[WorkflowTask]:
        return (wt.decision_cases or {}).get(case) or (wt.default_case or [])
