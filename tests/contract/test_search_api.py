"""Workflow and task search: Conductor's query grammar, free text, sorting and paging, and summaries."""

import uuid

import pytest

from conductor_nb import BadRequestError

from workflow_helpers import wt


# The workflow names are new in every test: the real Conductor's search index can keep an entry of a workflow
# an earlier test removed (its asynchronous indexing may land after the removal), so the queries name them.
@pytest.fixture
def names():
    suffix = uuid.uuid4().hex[:8]
    return {"alpha": f"alpha_{suffix}", "beta": f"beta_{suffix}"}


@pytest.fixture
def populated(api, names):
    ids = {}
    for i, (name, corr) in enumerate([("alpha", "c1"), ("alpha", "c2"), ("beta", "c1")]):
        ids[(name, corr)] = _start(api, names[name], corr, i)
    api.terminate_workflow(ids[("beta", "c1")], reason="stopped")
    return ids


def _start(api, name, corr, i):
    from conductor_nb import StartWorkflowRequest, WorkflowDef

    wf_def = WorkflowDef.from_dict({"name": name, "version": 1, "tasks": [wt("h", "HUMAN")]})
    return api.start_workflow(StartWorkflowRequest(name=name, workflow_def=wf_def, correlation_id=corr,
                                                   input={"n": i, "note": f"needle-{name}"}))


def _ours(names):
    return f"workflowType IN ({names['alpha']},{names['beta']})"  # no space: the peer keeps it in the value


def test_query_by_type_and_status(api, populated, names):
    result = api.search_workflows(query=f"workflowType = '{names['alpha']}' AND status IN (RUNNING, FAILED)")
    assert result.total_hits == 2
    assert {s.workflow_id for s in result.results} == {populated[("alpha", "c1")], populated[("alpha", "c2")]}
    summary = result.results[0]
    assert summary.workflow_type == names["alpha"] and summary.status == "RUNNING" and summary.version == 1
    assert summary.start_time.endswith("Z") and summary.parent_workflow_id == ""
    assert summary.input.startswith("{n=")


def test_or_parentheses_correlation_and_free_text(api, populated, names):
    result = api.search_workflows(
        query=f"{_ours(names)} AND correlationId = 'c1' AND (status = 'TERMINATED' OR workflowType = 'zeta')")
    assert [s.workflow_id for s in result.results] == [populated[("beta", "c1")]]
    assert api.search_workflows(free_text=f"needle-{names['beta']}").total_hits == 1


def test_sort_and_paging(api, populated, names):
    first = api.search_workflows(query=_ours(names), start=0, size=2, sort="startTime:ASC")
    second = api.search_workflows(query=_ours(names), start=2, size=2, sort="startTime:ASC")
    assert first.total_hits == 3 and len(first.results) == 2 and len(second.results) == 1
    hits = first.results + second.results
    assert {s.workflow_id for s in hits} == set(populated.values())
    assert [s.start_time for s in hits] == sorted(s.start_time for s in hits)


def test_task_search(api, populated, names):
    result = api.search_tasks(query=f"{_ours(names)} AND taskType = 'HUMAN' AND status = 'IN_PROGRESS'")
    assert result.total_hits == 2
    assert result.results[0].task_type == "HUMAN"


def test_a_malformed_query_is_a_bad_request_naming_the_problem(api, populated, names):
    with pytest.raises(BadRequestError, match="unknown field 'nope'"):
        api.search_workflows(query="nope = 1")
    with pytest.raises(BadRequestError, match="query"):
        api.search_workflows(query="workflowType = 'a' AND")
    assert api.search_workflows(query=_ours(names)).total_hits == 3  # nothing was harmed
