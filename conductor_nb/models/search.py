"""Search results: a page of hits with the total count, of workflow or task summaries."""

from __future__ import annotations

from typing import Any, Optional

from .base import Model, extra_field, model


@model
class SearchResult(Model):
    total_hits: Optional[int] = None
    results: Optional[list[Any]] = None
    extra: dict = extra_field()


@model
class WorkflowSummary(Model):
    workflow_type: Optional[str] = None
    version: Optional[int] = None
    workflow_id: Optional[str] = None
    correlation_id: Optional[str] = None
    start_time: Optional[str] = None
    update_time: Optional[str] = None
    end_time: Optional[str] = None
    status: Optional[str] = None
    input: Optional[str] = None
    output: Optional[str] = None
    reason_for_incompletion: Optional[str] = None
    execution_time: Optional[int] = None
    event: Optional[str] = None
    failed_reference_task_names: Optional[str] = None
    failed_task_names: Optional[list] = None
    external_input_payload_storage_path: Optional[str] = None
    external_output_payload_storage_path: Optional[str] = None
    priority: Optional[int] = None
    created_by: Optional[str] = None
    task_to_domain: Optional[dict] = None
    idempotency_key: Optional[str] = None
    parent_workflow_id: Optional[str] = None
    classifier: Optional[str] = None
    extra: dict = extra_field()


@model
class TaskSummary(Model):
    workflow_id: Optional[str] = None
    workflow_type: Optional[str] = None
    correlation_id: Optional[str] = None
    scheduled_time: Optional[str] = None
    start_time: Optional[str] = None
    update_time: Optional[str] = None
    end_time: Optional[str] = None
    status: Optional[str] = None
    reason_for_incompletion: Optional[str] = None
    execution_time: Optional[int] = None
    queue_wait_time: Optional[int] = None
    task_def_name: Optional[str] = None
    task_type: Optional[str] = None
    input: Optional[str] = None
    output: Optional[str] = None
    task_id: Optional[str] = None
    external_input_payload_storage_path: Optional[str] = None
    external_output_payload_storage_path: Optional[str] = None
    workflow_priority: Optional[int] = None
    domain: Optional[str] = None
    extra: dict = extra_field()
