"""Models: snake_case in Python, Conductor's JSON on the wire, nothing lost on a round trip."""

import json
import os
import pathlib
import re

import pytest

import conductor_nb as nb
from conductor_nb import models

# The reference pages, wherever the clone is (as tests/compat and tests/peer find them).
REFERENCE = pathlib.Path(os.environ.get("CONDUCTOR_NB_REFERENCE", "/work/shared/reference"))
SAMPLES = REFERENCE / "models" / "server-model-samples.json"
PLACEHOLDER = re.compile(r"^\$\{([\w.]+)\}$")

# The sample name -> our model. Every sample whose model this package serves is listed; the rest are Orkes-only
# resources (users, groups, integrations, prompts, schedules, LLM inputs) that conductor_nb does not offer.
MODEL_OF_SAMPLE = {
    "Workflow": models.Workflow, "Workflow1": models.Workflow, "Task": models.Task, "TaskResult": models.TaskResult,
    "TaskExecLog": models.TaskExecLog, "WorkflowDef": models.WorkflowDef, "WorkflowDef1": models.WorkflowDef,
    "WorkflowTask": models.WorkflowTask, "WorkflowTask1": models.WorkflowTask, "TaskDef": models.TaskDef,
    "SubWorkflowParams": models.SubWorkflowParams, "SubWorkflowParams1": models.SubWorkflowParams,
    "StartWorkflowRequest": models.StartWorkflowRequest, "RerunWorkflowRequest": models.RerunWorkflowRequest,
    "SkipTaskRequest": models.SkipTaskRequest, "WorkflowTestRequest": models.WorkflowTestRequest,
    "WorkflowTestRequest1": models.WorkflowTestRequest, "WorkflowTestRequest.TaskMock": models.TaskMock,
    "SearchResult": models.SearchResult, "WorkflowSummary": models.WorkflowSummary,
    "TaskSummary": models.TaskSummary, "PollData": models.PollData, "RateLimitConfig": models.RateLimitConfig,
    "WorkflowStateUpdate": models.WorkflowStateUpdate, "WorkflowStatus": models.WorkflowStatusResponse,
    "CorrelationIdsSearchRequest": models.CorrelationIdsSearchRequest, "SchemaDef": models.SchemaDef,
    "StateChangeEvent": models.StateChangeEvent, "WorkflowTask.CacheConfig": models.CacheConfig,
}
ENUM_OF_SAMPLE = {
    "Task.Status": models.TaskStatus, "TaskResult.Status": models.TaskResultStatus,
    "Workflow.WorkflowStatus": models.WorkflowStatus, "TaskDef.RetryLogic": models.RetryLogic,
    "TaskDef.TimeoutPolicy": models.TimeoutPolicy, "IdempotencyStrategy": models.IdempotencyStrategy,
}

# Enums whose sample lists values conductor_nb must accept (ours may add FORK, the DSL's alias, and RETRY, which
# TimeoutPolicy shares with TaskDef.TimeoutPolicy).
ENUM_SUBSET_OF_SAMPLE = {"TaskType": models.TaskType, "WorkflowDef.TimeoutPolicy": models.TimeoutPolicy}
# Every other sample, with why conductor_nb has no model for it: together with the three maps above this covers
# the whole file (test_every_sample_is_accounted_for).
_ORKES = "an Orkes-only resource (access, applications, users, groups, integrations, prompts, schedules, LLM)"
_NOT_SERVED = "a Conductor OSS resource conductor_nb does not serve (event handlers, tags, external storage)"
_PLAIN_JSON = "written and read as plain JSON by conductor-nb server (server/service.py), not a model users build"
NOT_MODELLED = {
    **dict.fromkeys([
        "Access", "AccessKeyResponse", "AccessKeyStatus", "Auditable", "AuthorizationRequest", "Category",
        "ChatCompletion", "ChatMessage", "ChatMessage.Actor", "ConductorApplication", "ConductorUser", "ConfigKey",
        "CreateAccessKeyResponse", "CreateOrUpdateApplicationRequest", "EmbeddingRequest", "GrantedAccess",
        "GrantedAccessResponse", "Group", "IndexDocInput", "IndexedDoc", "Integration", "IntegrationApi",
        "IntegrationApiUpdate", "IntegrationApiUpdate.Frequency", "IntegrationDef", "IntegrationDefFormField",
        "IntegrationDefFormField.IntegrationDefFormFieldType", "IntegrationDefFormField.Option",
        "IntegrationDefFormField1", "IntegrationUpdate", "LLMResponse", "LLMWorkerInput", "Permission",
        "PromptTemplateTestRequest", "ResourceType", "Role", "SaveScheduleRequest", "StoreEmbeddingsInput",
        "Subject", "SubjectRef", "SubjectType", "TargetRef", "TextCompletion", "UpgradeWorkflowRequest",
        "UpsertGroupRequest", "UpsertUserRequest", "VectorDBInput", "WorkflowSchedule",
        "WorkflowScheduleExecutionModel", "WorkflowScheduleExecutionModel.State", "SchemaDef.Type"], _ORKES),
    **dict.fromkeys([
        "EventExecution", "EventExecution.Status", "EventHandler", "EventHandler.Action", "EventHandler.Action.Type",
        "EventHandler.StartWorkflow", "EventHandler.TaskDetails", "EventHandler.TerminateWorkflow",
        "EventHandler.UpdateWorkflowVariables", "ExternalStorageLocation", "Tag", "WorkflowDefSummary"], _NOT_SERVED),
    **dict.fromkeys(["BulkResponse", "TokenResponse", "GenerateTokenRequest"], _PLAIN_JSON),
    "DynamicForkJoinTask": "the legacy dynamic fork's input: plain JSON the engine reads (tests/contract)",
    "DynamicForkJoinTaskList": "the legacy dynamic fork's input: plain JSON the engine reads (tests/contract)",
    "WorkflowTask.WorkflowTaskList": "a list of WorkflowTask, which round-trips (WorkflowTask above)",
    "T": "the samples' generic type parameter",
}


def _templates():
    return json.loads(SAMPLES.read_text())["templates"]


def _expand(value, templates, depth=0):
    """Replace the samples' "${Name}" placeholders with the named sample, as the SDK's serialisation tests do."""
    if isinstance(value, str):
        m = PLACEHOLDER.match(value)
        if m and m.group(1) in templates and depth < 4:
            return _expand(templates[m.group(1)]["content"], templates, depth + 1)
        return value
    if isinstance(value, dict):
        return {k: _expand(v, templates, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, templates, depth) for v in value]
    return value


def _sample(name):
    templates = _templates()
    content = _expand(templates[name]["content"], templates)
    for parent in templates[name].get("inherits", []):
        base = _expand(templates[parent]["content"], templates)
        content = {**base, **content} if isinstance(base, dict) else content
    return content


def _without_nulls(value):
    """What Jackson's NON_NULL writes: null fields are omitted, as Conductor's server does."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@pytest.mark.parametrize("sample_name", sorted(MODEL_OF_SAMPLE))
def test_every_served_sample_round_trips(sample_name):
    data = _sample(sample_name)
    parsed = MODEL_OF_SAMPLE[sample_name].from_dict(data)
    assert parsed.to_dict() == _without_nulls(data)
    assert json.loads(json.dumps(parsed.to_dict())) == _without_nulls(data)


@pytest.mark.parametrize("sample_name", sorted(ENUM_OF_SAMPLE))
def test_enum_samples_list_every_value(sample_name):
    values = _templates()[sample_name]["enums"]["values"]
    assert {e.value for e in ENUM_OF_SAMPLE[sample_name]} == set(values)


@pytest.mark.parametrize("sample_name", sorted(ENUM_SUBSET_OF_SAMPLE))
def test_enums_accept_every_value_of_their_sample(sample_name):
    sample = _templates()[sample_name]
    values = (sample.get("enums") or sample["content"])["values"]
    assert set(values) <= {e.value for e in ENUM_SUBSET_OF_SAMPLE[sample_name]}


def test_every_sample_is_accounted_for():
    """Each sample is parsed by a model (or enum) conductor_nb offers, or is listed with the reason it has none."""
    accounted = [*MODEL_OF_SAMPLE, *ENUM_OF_SAMPLE, *ENUM_SUBSET_OF_SAMPLE, *NOT_MODELLED]
    assert len(accounted) == len(set(accounted)), "a sample is listed twice"
    assert set(accounted) == set(_templates())


def test_nested_models_are_models():
    wf = models.Workflow.from_dict(_sample("Workflow"))
    assert isinstance(wf.tasks[0], models.Task)
    assert isinstance(wf.tasks[0].workflow_task, models.WorkflowTask)
    assert isinstance(wf.workflow_definition.tasks[0].decision_cases["sample_key"][0], models.WorkflowTask)
    assert isinstance(wf.history[0], models.Workflow)
    req = models.WorkflowTestRequest.from_dict(_sample("WorkflowTestRequest"))
    assert isinstance(req.task_ref_to_mock_output["sample_key"][0], models.TaskMock)
    assert req.correlation_id == "sample_correlationId"  # inherited from StartWorkflowRequest


def test_snake_case_keywords_and_camel_case_json():
    req = nb.StartWorkflowRequest(name="x", correlation_id="c", input={"a": 1})
    assert req.to_dict() == {"name": "x", "correlationId": "c", "input": {"a": 1}}
    td = nb.TaskDef(name="t")
    td.retry_count = 3
    td.retry_logic = nb.RetryLogic.LINEAR_BACKOFF
    assert td.to_dict() == {"name": "t", "retryCount": 3, "retryLogic": "LINEAR_BACKOFF"}


def test_unknown_fields_survive_a_round_trip():
    data = {"name": "wf", "version": 2, "brandNewField": {"x": [1, 2]}, "tasks": [{"name": "a", "futureKnob": 7}]}
    wf = nb.WorkflowDef.from_dict(data)
    assert wf.extra == {"brandNewField": {"x": [1, 2]}}
    assert wf.tasks[0].extra == {"futureKnob": 7}
    assert wf.to_dict() == data


def test_from_dict_rejects_a_non_dict_naming_the_model():
    with pytest.raises(TypeError, match="WorkflowDef"):
        nb.WorkflowDef.from_dict(["not", "a", "dict"])


def test_status_enums_compare_equal_to_wire_strings():
    assert nb.TaskResultStatus.COMPLETED == "COMPLETED"
    assert nb.WorkflowStatus.TIMEOUT_OUT is nb.WorkflowStatus.TIMED_OUT
    result = nb.TaskResult(task_id="t", status=nb.TaskResultStatus.FAILED)
    assert result.to_dict() == {"taskId": "t", "status": "FAILED"}
