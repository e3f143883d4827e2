"""INLINE and LAMBDA: evaluate a script over the task's input (`$`) in the sandbox; output `{result}`."""

from __future__ import annotations

from ...models import Task, TaskResult, TaskStatus
from .. import scripting
from .base import TaskKind, result_for

SCRIPT_EVALUATORS = ("javascript", "graaljs")


class Inline(TaskKind):
    type_name = "INLINE"
    runs_in_background = True  # scripts run outside the engine lock: a slow one holds up nothing else

    def run(self, task: Task) -> TaskResult:
        inputs = task.input_data or {}
        evaluator = inputs.get("evaluatorType") or "javascript"
        expression = inputs.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            return result_for(task, TaskStatus.FAILED_WITH_TERMINAL_ERROR.value, reason=(
                "Empty 'expression' in Inline task's input parameters. A non-empty String value must be provided."))
        try:
            if evaluator == "value-param":
                value = inputs.get(expression)
            elif evaluator in SCRIPT_EVALUATORS:
                value = scripting.evaluate(expression, inputs)
            else:
                return result_for(task, TaskStatus.FAILED_WITH_TERMINAL_ERROR.value,
                                  reason=f"Evaluator type '{evaluator}' is not supported")
        except scripting.ScriptTimeout as e:  # retryable, as in Conductor
            return result_for(task, TaskStatus.FAILED.value, {"error": str(e)}, str(e))
        except scripting.ScriptError as e:
            return result_for(task, TaskStatus.FAILED_WITH_TERMINAL_ERROR.value, {"error": str(e)}, str(e))
        return result_for(task, TaskStatus.COMPLETED.value, {"result": value})


class Lambda(TaskKind):
    """LAMBDA (legacy): the input `scriptExpression` is the body of a function over `$`."""

    type_name = "LAMBDA"
    runs_in_background = True

    def run(self, task: Task) -> TaskResult:
        try:
            script = (task.input_data or {}).get("scriptExpression") or task.workflow_task.script_expression or ""
            value = scripting.evaluate_lambda(script, task.input_data or {})
        except scripting.ScriptError as e:
            return result_for(task, TaskStatus.FAILED.value, {"error": str(e)}, str(e))
        return result_for(task, TaskStatus.COMPLETED.value, {"result": value})
