"""Conductor's models: snake_case in Python, Conductor's camelCase JSON through from_dict / to_dict."""

from .base import Model
from .enums import (
    IdempotencyStrategy,
    RetryLogic,
    TaskResultStatus,
    TaskStatus,
    TaskType,
    TimeoutPolicy,
    WorkflowStatus,
)
from .execution import (
    PollData,
    Task,
    TaskExecLog,
    TaskResult,
    Workflow,
    WorkflowRun,
    WorkflowStatusResponse,
)
from .metadata import (
    CacheConfig,
    RateLimitConfig,
    SchemaDef,
    StateChangeEvent,
    SubWorkflowParams,
    TaskDef,
    WorkflowDef,
    WorkflowTask,
)
from .requests import (
    CorrelationIdsSearchRequest,
    RerunWorkflowRequest,
    SkipTaskRequest,
    StartWorkflowRequest,
    TaskMock,
    WorkflowStateUpdate,
    WorkflowTestRequest,
)
from .search import SearchResult, TaskSummary, WorkflowSummary

__all__ = [
    "CacheConfig", "CorrelationIdsSearchRequest", "IdempotencyStrategy", "Model", "PollData", "RateLimitConfig",
    "RerunWorkflowRequest", "RetryLogic", "SchemaDef", "SearchResult", "SkipTaskRequest", "StartWorkflowRequest",
    "StateChangeEvent", "SubWorkflowParams", "Task", "TaskDef", "TaskExecLog", "TaskMock", "TaskResult",
    "TaskResultStatus", "TaskStatus", "TaskSummary", "TaskType", "TimeoutPolicy", "Workflow", "WorkflowDef",
    "WorkflowRun", "WorkflowStateUpdate", "WorkflowStatus", "WorkflowStatusResponse", "WorkflowSummary",
    "WorkflowTask", "WorkflowTestRequest",
]
