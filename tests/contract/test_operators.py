"""Switches, forks, joins, dynamic forks and loops behave as Conductor's do."""

import pytest

from conductor_nb import TaskDef

from workflow_helpers import Workers, run, start, wait_for, wt


def echo(task_input):
    return dict(task_input)


# ----------------------------------------------------------------------------------------------------- switch
@pytest.mark.parametrize("country, expected", [("US", "us_ref"), ("CA", "ca_ref"), ("XX", "other_ref")])
def test_switch_value_param_runs_the_matching_case(api, country, expected):
    switch = wt("decide", "SWITCH", evaluatorType="value-param", expression="country",
                inputParameters={"country": "${workflow.input.country}"},
                decisionCases={"US": [wt("us_ref", "NOOP")], "CA": [wt("ca_ref", "NOOP")]},
                defaultCase=[wt("other_ref", "NOOP")])
    result = run(api, [switch, wt("after", "NOOP")], {"country": country})
    assert result.status == "COMPLETED"
    assert [t.reference_task_name for t in result.tasks] == ["decide", expected, "after"]
    decide = result.tasks[0]
    assert decide.output_data == {"evaluationResult": [country], "selectedCase": country}


def test_switch_javascript_result_is_stringified_like_java(api):
    switch = wt("decide", "SWITCH", evaluatorType="javascript", expression="$.n > 1 ? 1 : null",
                inputParameters={"n": "${workflow.input.n}"},
                decisionCases={"1": [wt("one", "NOOP")], "null": [wt("none", "NOOP")]})
    assert [t.reference_task_name for t in run(api, [switch], {"n": 5}).tasks] == ["decide", "one"]
    assert [t.reference_task_name for t in run(api, [switch], {"n": 0}).tasks] == ["decide", "none"]


def test_switch_with_no_matching_case_and_no_default_moves_on(api):
    switch = wt("decide", "SWITCH", evaluatorType="value-param", expression="k", inputParameters={"k": "x"},
                decisionCases={"y": [wt("y_ref", "NOOP")]})
    result = run(api, [switch, wt("next_ref", "NOOP")])
    assert [t.reference_task_name for t in result.tasks] == ["decide", "next_ref"]


def test_legacy_decision_falls_back_to_default_on_an_empty_case(api):
    decision = wt("d", "DECISION", caseValueParam="c", inputParameters={"c": "a"},
                  decisionCases={"a": []}, defaultCase=[wt("dflt", "NOOP")])
    result = run(api, [decision])
    assert [t.reference_task_name for t in result.tasks] == ["d", "dflt"]
    assert result.tasks[0].output_data == {"caseOutput": ["a"]}


def test_nested_switch_case_continues_after_the_outer_switch(api):
    inner = wt("inner", "SWITCH", evaluatorType="value-param", expression="v", inputParameters={"v": "b"},
               decisionCases={"b": [wt("b1", "NOOP"), wt("b2", "NOOP")]})
    outer = wt("outer", "SWITCH", evaluatorType="value-param", expression="v", inputParameters={"v": "a"},
               decisionCases={"a": [inner, wt("a_tail", "NOOP")]})
    result = run(api, [outer, wt("end", "NOOP")])
    assert [t.reference_task_name for t in result.tasks] == ["outer", "inner", "b1", "b2", "a_tail", "end"]


# ------------------------------------------------------------------------------------------------ fork / join
def fork(*branches, ref="fork"):
    return wt(ref, "FORK_JOIN", forkTasks=[list(b) for b in branches])


def join(*refs, ref="join"):
    return wt(ref, "JOIN", joinOn=list(refs))


def test_fork_join_waits_for_every_branch_and_collects_outputs(api):
    tasks = [fork([wt("a", inputParameters={"v": 1})], [wt("b1", inputParameters={"v": 2}), wt("b2")]),
             join("a", "b2"), wt("after", "NOOP")]
    with Workers(api, a=echo, b1=echo, b2=lambda i: {"last": True}):
        result = run(api, tasks)
    assert result.status == "COMPLETED"
    refs = [t.reference_task_name for t in result.tasks]
    assert refs[:3] == ["fork", "a", "b1"] and refs[3] == "join" and refs[-1] == "after"
    joined = result.get_task(task_reference_name="join")
    assert joined.output_data == {"a": {"v": 1}, "b2": {"last": True}}
    assert result.tasks[0].task_type == "FORK" and result.tasks[0].status == "COMPLETED"


def test_a_failed_branch_fails_the_join_and_the_workflow(api):
    api.register_task_defs([TaskDef(name="bad", retry_count=0)])
    tasks = [fork([wt("bad")], [wt("good")]), join("bad", "good")]

    def fail(_):
        raise RuntimeError("branch broke")

    with Workers(api, bad=fail, good=echo):
        result = run(api, tasks)
    assert result.status == "FAILED"
    assert "branch broke" in result.reason_for_incompletion


def test_an_optional_branch_failure_completes_the_join_with_errors(api):
    api.register_task_defs([TaskDef(name="flaky", retry_count=0)])
    tasks = [fork([wt("flaky", optional=True)], [wt("fine")]), join("flaky", "fine")]

    def fail(_):
        raise RuntimeError("nope")

    with Workers(api, flaky=fail, fine=echo):
        result = wait_for(api, start(api, tasks))
    assert result.status == "COMPLETED"
    assert result.get_task(task_reference_name="flaky").status == "COMPLETED_WITH_ERRORS"
    assert result.get_task(task_reference_name="join").status in ("COMPLETED", "COMPLETED_WITH_ERRORS")


def test_a_permissive_failure_lets_others_finish_then_fails_the_workflow(api):
    api.register_task_defs([TaskDef(name="perm", retry_count=0)])
    tasks = [fork([wt("perm", permissive=True)], [wt("slow")]), join("perm", "slow"), wt("after", "NOOP")]

    def fail(_):
        raise RuntimeError("permissive broke")

    with Workers(api, perm=fail, slow=echo):
        result = wait_for(api, start(api, tasks))
    assert result.status == "FAILED"
    assert result.get_task(task_reference_name="slow").status == "COMPLETED"


def test_a_fork_must_be_followed_by_a_join(api):
    result = run(api, [fork([wt("x", "NOOP")]), wt("not_a_join", "NOOP")])
    assert result.status == "FAILED"
    assert "not followed by a join" in result.reason_for_incompletion


def test_a_fork_of_1000_branches_completes(api):
    branches = [[wt(f"n{i}", "NOOP")] for i in range(1000)]
    result = run(api, [fork(*branches), join(*(f"n{i}" for i in range(1000)))], wait=60)
    assert result.status == "COMPLETED"
    assert len(result.tasks) == 1002


def test_exclusive_join_takes_the_branch_that_ran(api):
    switch = wt("s", "SWITCH", evaluatorType="value-param", expression="k", inputParameters={"k": "b"},
                decisionCases={"a": [wt("ta", "SET_VARIABLE", inputParameters={"x": 1})],
                               "b": [wt("tb", "INLINE", inputParameters={
                                   "evaluatorType": "javascript", "expression": "({picked: 'b'})"})]})
    result = run(api, [switch, wt("xj", "EXCLUSIVE_JOIN", joinOn=["ta", "tb"])])
    assert result.status == "COMPLETED"
    assert result.get_task(task_reference_name="xj").output_data == {"result": {"picked": "b"}}


# ---------------------------------------------------------------------------------------------- dynamic forks
def test_dynamic_fork_with_task_list_and_inputs(api):
    dyn = wt("dyn", "FORK_JOIN_DYNAMIC", dynamicForkTasksParam="tasks", dynamicForkTasksInputParamName="inputs",
             inputParameters={"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"})
    tasks = [{"name": "work", "taskReferenceName": f"w{i}", "type": "SIMPLE"} for i in range(3)]
    inputs = {f"w{i}": {"n": i} for i in range(3)}
    with Workers(api, work=lambda i: {"double": i["n"] * 2}):
        result = run(api, [dyn, join(ref="dyn_join")], {"tasks": tasks, "inputs": inputs})
    assert result.status == "COMPLETED"
    fork_task = result.tasks[0]
    assert fork_task.task_type == "FORK" and fork_task.input_data["forkedTasks"] == ["w0", "w1", "w2"]
    assert result.get_task(task_reference_name="dyn_join").output_data == {
        "w0": {"double": 0}, "w1": {"double": 2}, "w2": {"double": 4}}


def test_dynamic_fork_by_task_name_and_input_list(api):
    dyn = wt("dyn", "FORK_JOIN_DYNAMIC", inputParameters={"forkTaskName": "work",
                                                           "forkTaskInputs": [{"n": 1}, 7]})
    with Workers(api, work=echo):
        result = run(api, [dyn, join(ref="j")])
    assert result.status == "COMPLETED"
    assert result.get_task(task_reference_name="j").output_data == {
        "_work_0": {"n": 1, "__index": 0}, "_work_1": {"input": 7, "__index": 1}}


def test_legacy_dynamic_fork_join_tasks_param(api):
    dyn = wt("dyn", "FORK_JOIN_DYNAMIC", dynamicForkJoinTasksParam="dynamicTasks",
             inputParameters={"dynamicTasks": {"dynamicTasks": [
                 {"taskName": "work", "referenceName": "x", "input": {"k": "v"}}]}})
    with Workers(api, work=echo):
        result = run(api, [dyn, join(ref="j")])
    assert result.get_task(task_reference_name="j").output_data == {"x": {"k": "v"}}


# ------------------------------------------------------------------------------------------------------ loops
def loop(ref, tasks, condition=None, **fields):
    return wt(ref, "DO_WHILE", loopOver=tasks, **({"loopCondition": condition} if condition else {}), **fields)


def test_do_while_runs_while_the_condition_holds(api):
    body = [wt("step", inputParameters={"i": "${loop.output.iteration}"})]
    with Workers(api, step=lambda i: {"seen": i["i"]}):
        result = run(api, [loop("loop", body, "if ($.loop['iteration'] < 3) { true; } else { false; }")])
    assert result.status == "COMPLETED"
    assert [t.reference_task_name for t in result.tasks] == ["loop", "step__1", "step__2", "step__3"]
    assert [t.iteration for t in result.tasks[1:]] == [1, 2, 3]
    out = result.tasks[0].output_data
    assert out["iteration"] == 3 and out["1"] == {"step": {"seen": 1}} and out["3"] == {"step": {"seen": 3}}


def test_do_while_condition_sees_the_latest_loop_task_output(api):
    body = [wt("count", "INLINE", inputParameters={
        "evaluatorType": "javascript", "n": "${loop.output.iteration}", "expression": "$.n * 10"})]
    result = run(api, [loop("loop", body, "$.count['result'] < 30")])
    assert result.status == "COMPLETED"
    assert result.tasks[0].output_data["iteration"] == 3


def test_do_while_condition_sees_every_iteration_s_output(api):
    """A condition that reads past iterations' outputs (by key, or by a key computed from the iteration) gets
    them all; only a condition that reads nothing but `iteration` is given that alone."""
    body = [wt("count", "INLINE", inputParameters={
        "evaluatorType": "javascript", "n": "${loop.output.iteration}", "expression": "$.n * 10"})]
    first = run(api, [loop("loop", body, "$.loop['1'].count.result == 10 && $.loop['iteration'] < 3")])
    assert first.status == "COMPLETED" and first.tasks[0].output_data["iteration"] == 3
    latest = run(api, [loop("loop", body, "$.loop[String($.loop.iteration)].count.result < 40")])
    assert latest.status == "COMPLETED" and latest.tasks[0].output_data["iteration"] == 4


def test_do_while_of_1000_iterations(api):
    body = [wt("tick", "SET_VARIABLE", inputParameters={"i": "${loop.output.iteration}"})]
    result = run(api, [loop("loop", body, "$.loop['iteration'] < 1000")], wait=120)
    assert result.status == "COMPLETED"
    assert result.tasks[0].output_data["iteration"] == 1000 and len(result.tasks) == 1001
    assert result.variables == {"i": 1000}


def test_do_while_over_items(api):
    body = [wt("visit", "SET_VARIABLE", inputParameters={"last": "${loop.output.loopItem}",
                                                         "index": "${loop.output.loopIndex}"})]
    result = run(api, [loop("loop", body, items="${workflow.input.things}")], {"things": ["a", "b", "c"]})
    assert result.status == "COMPLETED"
    assert result.variables == {"last": "c", "index": 2}
    assert len(result.tasks) == 4


def test_do_while_keep_last_n_trims_old_iterations(api):
    body = [wt("tick", "NOOP")]
    result = run(api, [loop("loop", body, "$.loop['iteration'] < 5", inputParameters={"keepLastN": 2})])
    assert result.status == "COMPLETED"
    assert [t.reference_task_name for t in result.tasks] == ["loop", "tick__4", "tick__5"]
    assert sorted(k for k in result.tasks[0].output_data if k.isdigit()) == ["4", "5"]


def test_a_failing_loop_task_fails_the_workflow(api):
    api.register_task_defs([TaskDef(name="boom", retry_count=0)])

    def boom(_):
        raise RuntimeError("loop body failed")

    with Workers(api, boom=boom):
        result = run(api, [loop("loop", [wt("boom")], "true")])
    assert result.status == "FAILED" and "loop body failed" in result.reason_for_incompletion


def test_a_bad_loop_condition_fails_the_loop_terminally(api):
    result = run(api, [loop("loop", [wt("n", "NOOP")], "this is not javascript(")])
    assert result.status == "FAILED"
    assert result.tasks[0].status == "FAILED_WITH_TERMINAL_ERROR"


def test_for_each_task_iterates_over_every_item(api):
    from conductor_nb import ConductorWorkflow, ForEachTask, SetVariableTask, StartWorkflowRequest

    body = SetVariableTask("seen")
    body.input_parameters.update({"last": "${each.output.loopItem}"})
    flow = ConductorWorkflow(executor=None, name="for_each", version=1)
    flow >> ForEachTask("each", [body], iterate_over="${workflow.input.items}")
    run = api.execute_workflow(StartWorkflowRequest(name="for_each", workflow_def=flow.to_workflow_def(),
                                                    input={"items": [1, 2, 3]}))
    assert run.status == "COMPLETED" and run.variables == {"last": 3}
