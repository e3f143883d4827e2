"""Worker.execute: inputs bound by parameter name, return values and exceptions mapped to task results."""

import dataclasses
from typing import Optional

import pytest

from conductor_nb import (
    NonRetryableException,
    SimpleTask,
    Task,
    TaskInProgress,
    TaskResult,
    Worker,
    get_task_context,
    worker_task,
)


def run(func, **input_data):
    task = Task(task_id="t-1", workflow_instance_id="wf-1", input_data=input_data, retry_count=2, poll_count=1)
    return Worker("w", func).execute(task)


@dataclasses.dataclass
class Address:
    city: str
    zip: Optional[str] = None


@dataclasses.dataclass
class Person:
    first: str
    age: int
    address: Optional[Address] = None


@pytest.mark.parametrize("returned, output", [
    ({"a": 1}, {"a": 1}),
    ("hi", {"result": "hi"}),
    ([1, 2], {"result": [1, 2]}),
    (None, {"result": None}),
    (7, {"result": 7}),
    (Person("A", 3), {"first": "A", "age": 3, "address": None}),
])
def test_return_values_become_output(returned, output):
    result = run(lambda: returned)
    assert (result.status, result.output_data) == ("COMPLETED", output)
    assert (result.task_id, result.workflow_instance_id) == ("t-1", "wf-1")


def test_inputs_bind_by_name_with_defaults_and_none():
    def f(a, b=5, c=None, d: int = 0):
        return {"a": a, "b": b, "c": c, "d": d}

    assert run(f, a=1, d=4, extra="ignored").output_data == {"a": 1, "b": 5, "c": None, "d": 4}
    assert run(f).output_data == {"a": None, "b": 5, "c": None, "d": 0}


def test_a_single_unannotated_parameter_gets_its_input_not_the_task():
    # The official SDK passes the whole Task here; conductor_nb binds by name, as for every other function.
    assert run(lambda name: f"Hello {name}", name="Orkes").output_data == {"result": "Hello Orkes"}


def test_a_task_annotated_parameter_gets_the_task():
    def f(task: Task):
        return {"id": task.task_id, "input": task.input_data}

    assert run(f, x=1).output_data == {"id": "t-1", "input": {"x": 1}}


def test_dataclass_parameters_are_built_from_dicts_recursively():
    def f(person: Person, people: list[Person]):
        return {"city": person.address.city, "ages": [p.age for p in people], "type": type(person).__name__}

    result = run(f, person={"first": "A", "age": 3, "address": {"city": "Oslo"}},
                 people=[{"first": "B", "age": 4}, {"first": "C", "age": 5}])
    assert result.output_data == {"city": "Oslo", "ages": [4, 5], "type": "Person"}


def test_a_missing_dataclass_field_fails_for_good_naming_the_field():
    result = run(lambda person: person, person={"first": "A"})
    assert result.status == "COMPLETED"  # unannotated: the dict passes through

    def f(person: Person):
        return person

    result = run(f, person={"first": "A", "address": {"zip": "1"}})
    assert result.status == "FAILED_WITH_TERMINAL_ERROR"
    assert result.reason_for_incompletion == "input 'person' is missing field 'age' required by Person"


def test_exceptions_fail_the_task_with_reason_and_traceback():
    def f():
        raise ValueError("no good")

    result = run(f)
    assert (result.status, result.reason_for_incompletion) == ("FAILED", "no good")
    assert "Traceback" in result.logs[0].log and "ValueError: no good" in result.logs[0].log


def test_non_retryable_exceptions_fail_for_good():
    def f():
        raise NonRetryableException("permanent")

    result = run(f)
    assert (result.status, result.reason_for_incompletion) == ("FAILED_WITH_TERMINAL_ERROR", "permanent")


def test_long_reasons_are_truncated():
    def f():
        raise RuntimeError("x" * 2000)

    assert len(run(f).reason_for_incompletion) == 500


def test_task_in_progress_asks_to_be_called_again():
    result = run(lambda: TaskInProgress(callback_after_seconds=5, output={"step": 1}))
    assert (result.status, result.callback_after_seconds, result.output_data) == ("IN_PROGRESS", 5, {"step": 1})


def test_a_returned_task_result_is_used_with_ids_filled_in():
    result = run(lambda: TaskResult(status="FAILED", reason_for_incompletion="mine", output_data={"k": 1}))
    assert (result.status, result.reason_for_incompletion, result.task_id) == ("FAILED", "mine", "t-1")


def test_the_task_context_reaches_the_running_function():
    def f():
        ctx = get_task_context()
        ctx.add_log("working")
        return {"id": ctx.get_task_id(), "wf": ctx.get_workflow_instance_id(), "retry": ctx.get_retry_count(),
                "polls": ctx.get_poll_count(), "input": ctx.get_input()}

    result = run(f, x=1)
    assert result.output_data == {"id": "t-1", "wf": "wf-1", "retry": 2, "polls": 1, "input": {"x": 1}}
    assert result.logs[0].log == "working"
    with pytest.raises(RuntimeError):
        get_task_context()


def test_async_functions_are_awaited():
    async def f(x):
        return x * 2

    assert run(f, x=21).output_data == {"result": 42}


def test_worker_task_returns_a_simple_task_when_given_a_reference_name():
    @worker_task(task_definition_name="unit_double")
    def double(x: int) -> int:
        return 2 * x

    assert double(4) == 8
    task = double(task_ref_name="double_ref", x="${workflow.input.x}")
    assert isinstance(task, SimpleTask)
    wt = task.to_workflow_task()
    assert (wt.name, wt.task_reference_name, wt.type) == ("unit_double", "double_ref", "SIMPLE")
    assert wt.input_parameters == {"x": "${workflow.input.x}"}
    assert task.output("result") == "${double_ref.output.result}" and task.result == "${double_ref.output.result}"
