"""Search hits as Conductor returns them: WorkflowSummary and TaskSummary, with its UTC time strings and Java
Map.toString renderings of input and output."""

from __future__ import annotations

import datetime
from typing import Optional

from ..models import TaskSummary, WorkflowSummary
from .expressions import java_string


def utc(ms: Optional[int]) -> Optional[str]:
    """Epoch ms -> `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (None for unset times)."""
    if not ms:
        return None
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def workflow_summary(data: dict) -> WorkflowSummary:
    """The summary of a stored workflow (its JSON without tasks)."""
    start, end = data.get("createTime") or 0, data.get("endTime") or 0
    return WorkflowSummary(
        workflow_type=data.get("workflowName"), version=data.get("workflowVersion"),
        workflow_id=data.get("workflowId"), correlation_id=data.get("correlationId"),
        start_time=utc(start), update_time=utc(data.get("updateTime")), end_time=utc(end),
        status=data.get("status"), input=java_string(data.get("input") or {}),
        output=java_string(data.get("output") or {}), reason_for_incompletion=data.get("reasonForIncompletion"),
        execution_time=(end - start) if end and start else 0, event=data.get("event"),
        failed_reference_task_names=",".join(data.get("failedReferenceTaskNames") or []),
        failed_task_names=list(data.get("failedTaskNames") or []), priority=data.get("priority") or 0,
        created_by=data.get("createdBy"), task_to_domain=data.get("taskToDomain") or {},
        idempotency_key=data.get("idempotencyKey"), parent_workflow_id=data.get("parentWorkflowId") or "",
    )


def task_summary(data: dict) -> TaskSummary:
    """The summary of a stored task."""
    start, end = data.get("startTime") or 0, data.get("endTime") or 0
    return TaskSummary(
        workflow_id=data.get("workflowInstanceId"), workflow_type=data.get("workflowType"),
        correlation_id=data.get("correlationId"), scheduled_time=utc(data.get("scheduledTime")),
        start_time=utc(start), update_time=utc(data.get("updateTime")), end_time=utc(end),
        status=data.get("status"), reason_for_incompletion=data.get("reasonForIncompletion"),
        execution_time=(end - start) if end and start else 0, queue_wait_time=data.get("queueWaitTime") or 0,
        task_def_name=data.get("taskDefName"), task_type=data.get("taskType"),
        input=java_string(data.get("inputData") or {}), output=java_string(data.get("outputData") or {}),
        task_id=data.get("taskId"), workflow_priority=data.get("workflowPriority") or 0, domain=data.get("domain"),
    )
