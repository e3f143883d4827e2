"""Definitions, starting, polling, updating and finishing workflows, as a Conductor server does them."""

import threading
import time
import uuid

import pytest

from conductor_nb import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    ServerError,
    StartWorkflowRequest,
    TaskDef,
    TaskResult,
    WorkflowDef,
    WorkflowTask,
)


def simple(name, ref=None, **inputs):
    return WorkflowTask(name=name, task_reference_name=ref or f"{name}_ref", type="SIMPLE", input_parameters=inputs)


def chain_def(name="chain", version=1, tasks=None, **kw):
    return WorkflowDef(name=name, version=version, tasks=tasks or [simple("a", x="${workflow.input.x}")], **kw)


def start(api, name="chain", **kw):
    return api.start_workflow(StartWorkflowRequest(name=name, **kw))


def complete(api, task, output=None, status="COMPLETED", **kw):
    return api.update_task(TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id,
                                      status=status, output_data=output or {}, **kw))


def poll_one(api, task_type, timeout_ms=1000):
    tasks = api.batch_poll_tasks(task_type, "test-worker", 1, timeout_ms)
    assert len(tasks) == 1, f"expected one {task_type} task"
    return tasks[0]


# ------------------------------------------------------------------------------------------------- definitions
def test_definitions_have_versions_and_latest_is_the_default(api):
    api.register_workflow_def(chain_def(version=1, description="one"))
    api.register_workflow_def(chain_def(version=2, description="two"))
    assert api.get_workflow_def("chain").version == 2
    assert api.get_workflow_def("chain", 1).description == "one"
    assert [(d.name, d.version) for d in api.get_all_workflow_defs()] == [("chain", 1), ("chain", 2)]
    stored = api.get_workflow_def("chain", 2)
    assert stored.schema_version == 2 and stored.timeout_policy == "ALERT_ONLY" and stored.restartable is True
    api.unregister_workflow_def("chain", 2)
    assert api.get_workflow_def("chain").version == 1


def test_registering_an_existing_version_conflicts_unless_overwritten(api):
    api.register_workflow_def(chain_def(description="first"))
    with pytest.raises(ConflictError):
        api.register_workflow_def(chain_def(description="second"))
    assert api.get_workflow_def("chain").description == "first"
    api.register_workflow_def(chain_def(description="second"), overwrite=True)
    assert api.get_workflow_def("chain").description == "second"


def test_missing_definitions_are_not_found(api):
    with pytest.raises(NotFoundError, match="nope"):
        api.get_workflow_def("nope")
    with pytest.raises(NotFoundError):
        api.get_task_def("nope")
    with pytest.raises(NotFoundError):
        start(api, "nope")


def test_invalid_workflow_definition_names_every_bad_field_and_stores_nothing(api):
    bad = WorkflowDef(name="", tasks=[WorkflowTask(name="a", task_reference_name="r"),
                                      WorkflowTask(name="", task_reference_name="r")])
    with pytest.raises(BadRequestError) as err:
        api.register_workflow_def(bad)
    paths = {v.path for v in err.value.validation_errors}
    assert paths == {"name", "tasks[1].name", "tasks[1].taskReferenceName"}
    assert api.get_all_workflow_defs() == []


def test_task_definitions_get_conductor_defaults_and_are_validated(api):
    api.register_task_defs([TaskDef(name="a", retry_count=1)])
    stored = api.get_task_def("a")
    assert (stored.retry_count, stored.retry_delay_seconds, stored.response_timeout_seconds) == (1, 60, 3600)
    assert stored.timeout_policy == "TIME_OUT_WF" and stored.retry_logic == "FIXED"
    with pytest.raises(BadRequestError) as err:
        api.register_task_defs([TaskDef(name="b", timeout_seconds=10, response_timeout_seconds=20)])
    assert err.value.validation_errors[0].path == "[0].responseTimeoutSeconds"
    with pytest.raises(NotFoundError):
        api.update_task_def(TaskDef(name="never-registered"))
    api.update_task_def(TaskDef(name="a", retry_count=5))
    assert api.get_task_def("a").retry_count == 5
    api.unregister_task_def("a")
    assert [d.name for d in api.get_all_task_defs()] == []


# ------------------------------------------------------------------------------------------------- execution
def test_a_chain_runs_task_by_task_with_inputs_resolved(api):
    api.register_workflow_def(chain_def(tasks=[
        simple("a", x="${workflow.input.x}", greeting="Hello ${workflow.input.x}!"),
        simple("b", prev="${a_ref.output.y}", whole="${a_ref.output}"),
    ]))
    wf_id = start(api, input={"x": "World"}, correlation_id="c-1")
    wf = api.get_workflow(wf_id)
    assert wf.status == "RUNNING" and wf.correlation_id == "c-1" and wf.workflow_name == "chain"
    assert [(t.reference_task_name, t.status) for t in wf.tasks] == [("a_ref", "SCHEDULED")]

    a = poll_one(api, "a")
    assert a.status == "IN_PROGRESS" and a.worker_id == "test-worker" and a.poll_count == 1
    assert a.input_data == {"x": "World", "greeting": "Hello World!"}
    complete(api, a, {"y": 42})

    b = poll_one(api, "b")
    assert b.input_data == {"prev": 42, "whole": {"y": 42}}
    assert b.seq == 2 and b.workflow_instance_id == wf_id
    complete(api, b, {"z": "done"})

    wf = api.get_workflow(wf_id)
    assert wf.status == "COMPLETED"
    assert wf.output == {"z": "done"}  # no outputParameters: the last task's output
    assert wf.end_time >= wf.start_time > 0
    assert [(t.reference_task_name, t.status) for t in wf.tasks] == [("a_ref", "COMPLETED"), ("b_ref", "COMPLETED")]


def test_text_in_any_script_comes_back_as_given(api):
    text = "Grüße, 世界 — naïve café 🚀"
    api.register_workflow_def(chain_def(tasks=[simple("a", x="${workflow.input.x}", said="${workflow.input.x}!")]))
    wf_id = start(api, input={"x": text})
    a = poll_one(api, "a")
    assert a.input_data == {"x": text, "said": f"{text}!"}
    complete(api, a, {text: [text]})
    wf = api.get_workflow(wf_id)
    assert wf.status == "COMPLETED" and wf.input == {"x": text} and wf.output == {text: [text]}


def test_output_parameters_shape_the_workflow_output(api):
    api.register_workflow_def(chain_def(output_parameters={"got": "${a_ref.output.v}", "in": "${workflow.input}"}))
    wf_id = start(api, input={"x": 1})
    complete(api, poll_one(api, "a"), {"v": [1, 2]})
    assert api.get_workflow(wf_id).output == {"got": [1, 2], "in": {"x": 1}}


def test_start_with_an_inline_definition_needs_no_registration(api):
    wf_id = api.start_workflow(StartWorkflowRequest(name="inline", workflow_def=chain_def(name="inline")))
    assert api.get_workflow(wf_id).workflow_definition.name == "inline"
    with pytest.raises(NotFoundError):
        api.get_workflow_def("inline")


def test_get_without_tasks_and_status(api):
    api.register_workflow_def(chain_def())
    wf_id = start(api, input={"x": 1})
    assert api.get_workflow(wf_id, include_tasks=False).tasks == []
    status = api.get_workflow_status(wf_id, include_output=True, include_variables=True)
    assert (status.workflow_id, status.status, status.output, status.variables) == (wf_id, "RUNNING", {}, {})
    with pytest.raises(NotFoundError, match="not found"):
        api.get_workflow("no-such-id")


def test_batch_poll_returns_up_to_count_and_empty_when_nothing(api):
    api.register_workflow_def(chain_def())
    for _ in range(3):
        start(api)
    assert len(api.batch_poll_tasks("a", "w", 2, 0)) == 2
    assert len(api.batch_poll_tasks("a", "w", 5, 0)) == 1
    assert api.batch_poll_tasks("a", "w", 5, 0) == []
    assert api.poll_task("a", "w") is None


def test_a_long_poll_wakes_when_a_task_is_scheduled(api):
    api.register_workflow_def(chain_def())
    timer = threading.Timer(0.2, lambda: start(api))
    timer.start()
    tasks = api.batch_poll_tasks("a", "w", 1, 5000)
    timer.join()
    assert len(tasks) == 1 and tasks[0].status == "IN_PROGRESS"


def test_bad_poll_arguments_are_bad_requests(api):
    with pytest.raises(BadRequestError, match="timeout"):
        api.batch_poll_tasks("a", "w", 1, 6000)
    with pytest.raises(BadRequestError, match="count"):
        api.batch_poll_tasks("a", "w", 0, 10)


def test_in_progress_update_requeues_after_callback_seconds(api):
    api.register_workflow_def(chain_def())
    start(api)
    task = poll_one(api, "a")
    complete(api, task, {"progress": 1}, status="IN_PROGRESS", callback_after_seconds=0)
    again = poll_one(api, "a")
    assert again.task_id == task.task_id and again.poll_count == 2 and again.output_data == {"progress": 1}
    complete(api, again, status="IN_PROGRESS", callback_after_seconds=30)
    assert api.batch_poll_tasks("a", "w", 1, 0) == []
    assert api.get_task(task.task_id).status == "SCHEDULED"


def test_a_failed_task_is_retried_per_its_definition(api):
    api.register_task_defs([TaskDef(name="a", retry_count=2, retry_delay_seconds=0)])
    api.register_workflow_def(chain_def())
    wf_id = start(api, input={"x": 1})
    first = poll_one(api, "a")
    complete(api, first, status="FAILED", reason_for_incompletion="boom")
    second = poll_one(api, "a")
    assert second.task_id != first.task_id
    assert (second.retry_count, second.retried_task_id, second.input_data) == (1, first.task_id, {"x": 1})
    assert api.get_task(first.task_id).retried is True
    complete(api, second, status="FAILED", reason_for_incompletion="boom again")
    third = poll_one(api, "a")
    complete(api, third, status="FAILED", reason_for_incompletion="still broken")
    wf = api.get_workflow(wf_id)
    assert wf.status == "FAILED"
    assert wf.reason_for_incompletion == (
        f"Task {third.task_id} failed with status: FAILED and reason: 'still broken'")
    assert wf.failed_reference_task_names == ["a_ref"] and wf.failed_task_names == ["a"]
    assert [t.retry_count for t in wf.tasks] == [0, 1, 2]


def test_a_retry_waits_its_delay(api):
    api.register_task_defs([TaskDef(name="a", retry_count=1, retry_delay_seconds=30)])
    api.register_workflow_def(chain_def())
    start(api)
    complete(api, poll_one(api, "a"), status="FAILED")
    assert api.batch_poll_tasks("a", "w", 1, 0) == []


def test_terminal_errors_are_not_retried(api):
    api.register_task_defs([TaskDef(name="a", retry_count=3, retry_delay_seconds=0)])
    api.register_workflow_def(chain_def())
    wf_id = start(api)
    complete(api, poll_one(api, "a"), status="FAILED_WITH_TERMINAL_ERROR", reason_for_incompletion="bad input")
    wf = api.get_workflow(wf_id)
    assert wf.status == "FAILED" and len(wf.tasks) == 1
    assert wf.reason_for_incompletion.endswith("failed with status: FAILED and reason: 'bad input'")


def test_an_optional_task_failure_lets_the_workflow_go_on(api):
    opt = simple("a")
    opt.optional = True
    opt.retry_count = 0
    api.register_workflow_def(chain_def(tasks=[opt, simple("b")]))
    wf_id = start(api)
    complete(api, poll_one(api, "a"), status="FAILED")
    complete(api, poll_one(api, "b"))
    wf = api.get_workflow(wf_id)
    assert wf.status == "COMPLETED"
    assert [t.status for t in wf.tasks] == ["COMPLETED_WITH_ERRORS", "COMPLETED"]


def test_updates_to_finished_tasks_are_ignored(api):
    api.register_workflow_def(chain_def())
    wf_id = start(api)
    task = poll_one(api, "a")
    complete(api, task, {"v": 1})
    assert complete(api, task, {"v": 2}, status="FAILED") == task.task_id
    wf = api.get_workflow(wf_id)
    assert wf.status == "COMPLETED" and wf.tasks[0].output_data == {"v": 1}


def test_bad_task_results_name_the_field(api):
    with pytest.raises(BadRequestError) as err:
        api.update_task(TaskResult(status="COMPLETED"))
    assert err.value.validation_errors[0].path == "taskId"
    with pytest.raises(BadRequestError, match="status"):
        api.update_task(TaskResult(task_id="x", status="DONE"))
    with pytest.raises(NotFoundError):
        api.update_task(TaskResult(task_id="no-such-task", status="COMPLETED"))


def test_update_by_reference_name(api):
    api.register_workflow_def(chain_def())
    wf_id = start(api)
    task_id = api.update_task_by_ref_name(wf_id, "a_ref", "COMPLETED", {"by": "ref"})
    done = api.get_workflow(wf_id)
    assert done.output == {"by": "ref"} and task_id == done.tasks[0].task_id
    # No pending task of that reference (or no such workflow): 200 with no body, and nothing changes.
    assert api.update_task_by_ref_name(wf_id, "a_ref", "FAILED", {"late": True}) == ""
    assert api.update_task_by_ref_name(str(uuid.uuid4()), "a_ref", "COMPLETED", {}) == ""
    after = api.get_workflow(wf_id)
    assert (after.status, after.output, after.tasks[0].status) == ("COMPLETED", {"by": "ref"}, "COMPLETED")
    with pytest.raises(NotFoundError):  # the /sync form answers 404 instead
        api.update_task_by_ref_name_sync(wf_id, "a_ref", "COMPLETED", {})


def test_a_task_definition_input_template_fills_gaps_and_null_values(api):
    api.register_task_defs([TaskDef(name="templated", response_timeout_seconds=60, input_template={
        "b": "from template", "c": "${workflow.input.c}", "d": {"nested": True}})])
    api.register_workflow_def(chain_def("templated_flow", tasks=[simple(
        "templated", a="${workflow.input.a}", b="${workflow.input.missing}", d="given")]))
    start(api, "templated_flow", input={"a": 1, "c": 3})
    task = poll_one(api, "templated")
    # a key missing from inputParameters takes the template's value, resolved; one that resolves to null takes the
    # template's value; a value given wins
    assert task.input_data == {"a": 1, "b": "from template", "c": 3, "d": "given"}
    complete(api, task)


def test_task_logs(api):
    api.register_workflow_def(chain_def())
    start(api)
    task = poll_one(api, "a")
    api.add_task_log(task.task_id, "step one")
    result = TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id, status="COMPLETED")
    result.log("step two")
    api.update_task(result)
    assert [entry.log for entry in api.get_task_logs(task.task_id)] == ["step one", "step two"]


def v2(api, task, output=None):
    """update-v2: complete `task`; the answer is the next task of its type for the same worker, or None."""
    return api.update_task_v2(TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id,
                                         status="COMPLETED", output_data=output or {}, worker_id="test-worker"))


def test_update_v2_hands_over_the_next_task_and_older_tasks_go_first(api):
    api.register_workflow_def(chain_def("two_steps", tasks=[simple("v2w", "s1"), simple("v2w", "s2")]))
    api.register_workflow_def(chain_def("one_step", tasks=[simple("v2w", "only")]))
    first = start(api, "two_steps")
    step1 = poll_one(api, "v2w")
    step2 = v2(api, step1)  # nothing else waits: the chain's next step, already IN_PROGRESS for this worker
    assert (step2.reference_task_name, step2.workflow_instance_id, step2.status) == ("s2", first, "IN_PROGRESS")
    assert api.get_task(step2.task_id).worker_id == "test-worker"
    assert v2(api, step2) is None and api.get_workflow(first).status == "COMPLETED"

    second = start(api, "two_steps")
    step1 = poll_one(api, "v2w")
    other = start(api, "one_step")  # queued before the chain's next step exists
    handed = v2(api, step1)
    assert (handed.reference_task_name, handed.workflow_instance_id) == ("only", other)
    step2 = poll_one(api, "v2w")
    assert (step2.reference_task_name, step2.workflow_instance_id) == ("s2", second)
    assert v2(api, handed) is None and v2(api, step2) is None
    assert {api.get_workflow(w).status for w in (second, other)} == {"COMPLETED"}


# -------------------------------------------------------------------------------------------- sync execute
def test_execute_waits_for_the_end(api):
    api.register_workflow_def(chain_def())

    def worker():
        task = poll_one(api, "a", 5000)
        complete(api, task, {"echo": task.input_data["x"]})

    thread = threading.Thread(target=worker)
    thread.start()
    run = api.execute_workflow(StartWorkflowRequest(name="chain", input={"x": "hi"}), wait_for_seconds=10)
    thread.join()
    assert run.status == "COMPLETED" and run.output == {"echo": "hi"} and run.signal_timeout is False
    assert run.workflow_id == run.target_workflow_id and len(run.tasks) == 1


def test_execute_returns_the_running_state_when_the_wait_runs_out(api):
    api.register_workflow_def(chain_def())
    began = time.monotonic()
    run = api.execute_workflow(StartWorkflowRequest(name="chain"), wait_for_seconds=0.3)
    assert time.monotonic() - began >= 0.3
    assert run.status == "RUNNING" and run.signal_timeout is True


def test_execute_can_return_when_a_task_ends(api):
    api.register_workflow_def(chain_def(tasks=[simple("a"), simple("b")]))

    def worker():
        complete(api, poll_one(api, "a", 5000), {"first": True})

    thread = threading.Thread(target=worker)
    thread.start()
    run = api.execute_workflow(StartWorkflowRequest(name="chain"), wait_until_task_ref="a_ref", wait_for_seconds=10)
    thread.join()
    assert run.status == "RUNNING" and run.signal_timeout is False
    assert run.get_task(task_reference_name="a_ref").output_data == {"first": True}


# ----------------------------------------------------------------------------------------------- operations
def test_terminate_cancels_pending_tasks(api):
    api.register_workflow_def(chain_def())
    wf_id = start(api)
    api.terminate_workflow(wf_id, reason="enough")
    wf = api.get_workflow(wf_id)
    assert (wf.status, wf.reason_for_incompletion, wf.tasks[0].status) == ("TERMINATED", "enough", "CANCELED")
    assert api.batch_poll_tasks("a", "w", 1, 0) == []
    api.terminate_workflow(wf_id)  # terminating a terminated workflow is a no-op


def test_a_completed_workflow_cannot_be_terminated(api):
    api.register_workflow_def(chain_def())
    wf_id = start(api)
    complete(api, poll_one(api, "a"))
    with pytest.raises(ConflictError):
        api.terminate_workflow(wf_id)


def test_pause_holds_scheduling_until_resume(api):
    api.register_workflow_def(chain_def(tasks=[simple("a"), simple("b")]))
    wf_id = start(api)
    api.pause_workflow(wf_id)
    complete(api, poll_one(api, "a"))  # updates are still accepted while paused
    assert api.get_workflow(wf_id).status == "PAUSED"
    assert api.batch_poll_tasks("b", "w", 1, 0) == []
    api.resume_workflow(wf_id)
    complete(api, poll_one(api, "b"))
    assert api.get_workflow(wf_id).status == "COMPLETED"
    with pytest.raises(ServerError):
        api.resume_workflow(wf_id)
    with pytest.raises(ConflictError):
        api.pause_workflow(wf_id)


def test_delete_removes_the_execution(api):
    api.register_workflow_def(chain_def())
    wf_id = start(api)
    with pytest.raises(BadRequestError, match=f"Cannot archive workflow: {wf_id} with status: RUNNING"):
        api.delete_workflow(wf_id)  # archiveWorkflow=true (the default) is refused until the workflow ends
    assert api.get_workflow(wf_id).status == "RUNNING"
    api.delete_workflow(wf_id, archive_workflow=False)
    with pytest.raises(NotFoundError):
        api.get_workflow(wf_id)
    assert api.batch_poll_tasks("a", "w", 1, 0) == []
    with pytest.raises(NotFoundError):
        api.delete_workflow(wf_id, archive_workflow=False)


def test_delete_archives_an_ended_workflow(api):
    api.register_workflow_def(chain_def())
    wf_id = start(api)
    api.terminate_workflow(wf_id, reason="done with it")
    api.delete_workflow(wf_id)
    with pytest.raises(NotFoundError):  # gone from the executions (an archive may keep a copy elsewhere)
        api.delete_workflow(wf_id)


def test_bad_start_requests_name_the_field(api):
    with pytest.raises(BadRequestError) as err:
        api.start_workflow(StartWorkflowRequest(name="chain", priority=120))
    assert err.value.validation_errors[0].path == "priority"
    with pytest.raises(BadRequestError) as err:
        api.start_workflow(StartWorkflowRequest())
    assert err.value.validation_errors[0].path == "name"
