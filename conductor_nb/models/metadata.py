"""Definitions: TaskDef, WorkflowDef and the WorkflowTask tree they are made of."""

from __future__ import annotations

from typing import Any, Optional

from .base import Model, extra_field, model
from .display import DiagramDisplay


@model
class SchemaDef(Model):
    name: Optional[str] = None
    version: Optional[int] = None
    type: Optional[str] = None
    data: Optional[dict] = None
    external_ref: Optional[str] = None
    owner_app: Optional[str] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    created_by: Optional[str] = None
    updated_by: Optional[str] = None
    extra: dict = extra_field()


@model
class RateLimitConfig(Model):
    rate_limit_key: Optional[str] = None
    concurrent_exec_limit: Optional[int] = None
    extra: dict = extra_field()


@model
class CacheConfig(Model):
    key: Optional[str] = None
    ttl_in_second: Optional[int] = None
    extra: dict = extra_field()


@model
class StateChangeEvent(Model):
    type: Optional[str] = None
    payload: Optional[dict] = None
    extra: dict = extra_field()


@model
class TaskDef(Model):
    name: Optional[str] = None
    description: Optional[str] = None
    retry_count: Optional[int] = None
    timeout_seconds: Optional[int] = None
    input_keys: Optional[list] = None
    output_keys: Optional[list] = None
    timeout_policy: Optional[str] = None
    retry_logic: Optional[str] = None
    retry_delay_seconds: Optional[int] = None
    response_timeout_seconds: Optional[int] = None
    concurrent_exec_limit: Optional[int] = None
    input_template: Optional[dict] = None
    rate_limit_per_frequency: Optional[int] = None
    rate_limit_frequency_in_seconds: Optional[int] = None
    isolation_group_id: Optional[str] = None
    execution_name_space: Optional[str] = None
    owner_email: Optional[str] = None
    poll_timeout_seconds: Optional[int] = None
    backoff_scale_factor: Optional[int] = None
    max_retry_delay_seconds: Optional[int] = None
    backoff_jitter_ms: Optional[int] = None
    total_timeout_seconds: Optional[int] = None
    base_type: Optional[str] = None
    input_schema: Optional[SchemaDef] = None
    output_schema: Optional[SchemaDef] = None
    enforce_schema: Optional[bool] = None
    owner_app: Optional[str] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    created_by: Optional[str] = None
    updated_by: Optional[str] = None
    extra: dict = extra_field()


@model
class SubWorkflowParams(Model):
    name: Optional[str] = None
    version: Optional[int] = None
    task_to_domain: Optional[dict] = None
    workflow_definition: Any = None  # a WorkflowDef, its JSON, or a "${...}" expression
    priority: Any = None
    idempotency_key: Optional[str] = None
    idempotency_strategy: Optional[str] = None
    extra: dict = extra_field()

    def __post_init__(self) -> None:
        if isinstance(self.workflow_definition, dict):
            self.workflow_definition = WorkflowDef.from_dict(self.workflow_definition)


@model
class WorkflowTask(Model):
    name: Optional[str] = None
    task_reference_name: Optional[str] = None
    description: Optional[str] = None
    input_parameters: Optional[dict] = None
    type: Optional[str] = None
    dynamic_task_name_param: Optional[str] = None
    case_value_param: Optional[str] = None
    case_expression: Optional[str] = None
    script_expression: Optional[str] = None
    decision_cases: Optional[dict[str, list[WorkflowTask]]] = None
    default_case: Optional[list[WorkflowTask]] = None
    fork_tasks: Optional[list[list[WorkflowTask]]] = None
    dynamic_fork_tasks_param: Optional[str] = None
    dynamic_fork_tasks_input_param_name: Optional[str] = None
    dynamic_fork_join_tasks_param: Optional[str] = None
    start_delay: Optional[int] = None
    sub_workflow_param: Optional[SubWorkflowParams] = None
    join_on: Optional[list] = None
    sink: Optional[str] = None
    optional: Optional[bool] = None
    task_definition: Optional[TaskDef] = None
    rate_limited: Optional[bool] = None
    default_exclusive_join_task: Optional[list] = None
    async_complete: Optional[bool] = None
    loop_condition: Optional[str] = None
    loop_over: Optional[list[WorkflowTask]] = None
    items: Optional[str] = None
    retry_count: Optional[int] = None
    evaluator_type: Optional[str] = None
    expression: Optional[str] = None
    on_state_change: Optional[dict[str, list[StateChangeEvent]]] = None
    permissive: Optional[bool] = None
    join_mode: Optional[str] = None
    join_status: Optional[str] = None
    cache_config: Optional[CacheConfig] = None
    metadata: Optional[dict] = None
    extra: dict = extra_field()

    @property
    def task_type(self) -> str:
        return self.type or "SIMPLE"


@model
class WorkflowDef(DiagramDisplay, Model):
    name: Optional[str] = None
    description: Optional[str] = None
    version: Optional[int] = None
    tasks: Optional[list[WorkflowTask]] = None
    input_parameters: Optional[list] = None
    output_parameters: Optional[dict] = None
    failure_workflow: Optional[str] = None
    failure_workflow_version: Optional[int] = None
    schema_version: Optional[int] = None
    restartable: Optional[bool] = None
    workflow_status_listener_enabled: Optional[bool] = None
    workflow_status_listener_sink: Optional[str] = None
    owner_email: Optional[str] = None
    timeout_policy: Optional[str] = None
    timeout_seconds: Optional[int] = None
    variables: Optional[dict] = None
    input_template: Optional[dict] = None
    rate_limit_config: Optional[RateLimitConfig] = None
    input_schema: Optional[SchemaDef] = None
    output_schema: Optional[SchemaDef] = None
    enforce_schema: Optional[bool] = None
    metadata: Optional[dict] = None
    cache_config: Optional[CacheConfig] = None
    masked_fields: Optional[list] = None
    owner_app: Optional[str] = None
    create_time: Optional[int] = None
    update_time: Optional[int] = None
    created_by: Optional[str] = None
    updated_by: Optional[str] = None
    extra: dict = extra_field()
