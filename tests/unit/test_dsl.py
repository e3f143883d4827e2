"""ConductorWorkflow and the task DSL produce the definitions the official SDK produces."""

import pytest

from conductor_nb import ConductorWorkflow, SimpleTask, TimeoutPolicy, WorkflowDef


def test_rshift_appends_copies_and_builds_the_definition():
    wf = ConductorWorkflow(executor=None, name="w", version=3, description="d")
    a = SimpleTask("a", "a_ref").input_parameter("x", wf.input("x"))
    wf >> a >> SimpleTask("b", "b_ref").input(key="y", value=a.output("y"))
    a.input_parameter("x", "changed later")  # the workflow holds a copy
    wf.output_parameters({"out": "${b_ref.output}"}).timeout_seconds(5).timeout_policy(TimeoutPolicy.TIME_OUT_WF)
    d = wf.to_workflow_def()
    assert isinstance(d, WorkflowDef)
    assert d.to_dict() == {
        "name": "w", "description": "d", "version": 3, "schemaVersion": 2, "restartable": True,
        "tasks": [
            {"name": "a", "taskReferenceName": "a_ref", "type": "SIMPLE", "inputParameters": {"x": "${workflow.input.x}"}},
            {"name": "b", "taskReferenceName": "b_ref", "type": "SIMPLE", "inputParameters": {"y": "${a_ref.output.y}"}},
        ],
        "inputParameters": [], "outputParameters": {"out": "${b_ref.output}"}, "failureWorkflow": "",
        "timeoutPolicy": "TIME_OUT_WF", "timeoutSeconds": 5, "variables": {}, "inputTemplate": {},
        "workflowStatusListenerEnabled": False,
    }


def test_expressions():
    wf = ConductorWorkflow(executor=None, name="w")
    t = SimpleTask("a", "r")
    assert (wf.input(), wf.input("a.b"), wf.output("c")) == (
        "${workflow.input}", "${workflow.input.a.b}", "${workflow.output.c}")
    assert (t.output(), t.output("x[0]"), t.input("k"), t.output("[0]")) == (
        "${r.output}", "${r.output.x[0]}", "${r.input.k}", "${r.output[0]}")


def test_only_tasks_can_be_added():
    with pytest.raises(TypeError, match="str"):
        ConductorWorkflow(executor=None, name="w") >> "not a task"
