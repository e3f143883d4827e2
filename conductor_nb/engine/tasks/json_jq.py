"""JSON_JQ_TRANSFORM: run the jq program `queryExpression` over the task's input; output result and resultList."""

from __future__ import annotations

from ...models import Task, TaskResult, TaskStatus
from .. import jq
from .base import TaskKind, result_for


class JsonJqTransform(TaskKind):
    type_name = "JSON_JQ_TRANSFORM"
    runs_in_background = True

    def run(self, task: Task) -> TaskResult:
        inputs = task.input_data or {}
        query = inputs.get("queryExpression")
        if not isinstance(query, str) or not query.strip():
            return result_for(task, TaskStatus.FAILED.value, reason="Missing 'queryExpression' in input parameters")
        try:
            first, results = jq.transform(query, inputs)
        except jq.JqError as e:
            return result_for(task, TaskStatus.FAILED.value, {"error": str(e)}, str(e))
        return result_for(task, TaskStatus.COMPLETED.value, {"result": first, "resultList": results})
