"""Task and workflow policies: retries with backoff, timeouts, limits, domains, idempotency, start delays.

Time-driven tests run on an engine with a FakeClock: a 60-second retry delay takes no real time.
"""

import threading
import time

import pytest

from conductor_nb import ConflictError, FakeClock, StartWorkflowRequest, TaskDef, TaskResult, WorkflowDef
from conductor_nb.engine import Engine

from workflow_helpers import wt


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def engine(tmp_path, clock):
    engine = Engine(str(tmp_path / "policies.db"), clock=clock)
    yield engine
    engine.close()


def start(api, tasks, **kw):
    wf_def = WorkflowDef.from_dict({"name": kw.pop("name", "p"), "version": 1, "tasks": tasks,
                                    **kw.pop("definition", {})})
    return api.start_workflow(StartWorkflowRequest(name=wf_def.name, workflow_def=wf_def, **kw))


def poll(api, task_type, timeout_ms=0, **kw):
    tasks = api.batch_poll_tasks(task_type, "w", 1, timeout_ms, **kw)
    return tasks[0] if tasks else None


def finish(api, task, status="COMPLETED", **kw):
    api.update_task(TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id, status=status,
                               **kw))


def eventually(check, timeout=5.0):
    """Wait (real time) for the engine's background threads to act on a clock move."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


# ------------------------------------------------------------------------------------------------- retries
@pytest.mark.parametrize("logic, delays", [
    ("FIXED", [10, 10, 10]), ("LINEAR_BACKOFF", [20, 40, 60]), ("EXPONENTIAL_BACKOFF", [10, 20, 40])])
def test_retry_delays_follow_the_retry_logic(engine, clock, logic, delays):
    engine.register_task_defs([TaskDef(name="flaky", retry_count=3, retry_delay_seconds=10, retry_logic=logic,
                                       backoff_scale_factor=2)])
    start(engine, [wt("flaky")])
    task = poll(engine, "flaky")
    for delay in delays:
        finish(engine, task, "FAILED", reason_for_incompletion="again")
        clock.advance(delay - 1)
        assert poll(engine, "flaky") is None, f"retried before {delay}s"
        clock.advance(1)
        task = poll(engine, "flaky")
        assert task is not None, f"not retried after {delay}s"


def test_max_retry_delay_caps_the_backoff(engine, clock):
    engine.register_task_defs([TaskDef(name="capped", retry_count=2, retry_delay_seconds=100,
                                       retry_logic="EXPONENTIAL_BACKOFF", max_retry_delay_seconds=30)])
    start(engine, [wt("capped")])
    finish(engine, poll(engine, "capped"), "FAILED")
    clock.advance(30)
    assert poll(engine, "capped") is not None


# ------------------------------------------------------------------------------------------------ timeouts
def test_timeout_with_retry_policy_times_out_then_retries(engine, clock):
    engine.register_task_defs([TaskDef(name="slow", retry_count=1, retry_delay_seconds=0, timeout_seconds=30,
                                       response_timeout_seconds=30, timeout_policy="RETRY")])
    wf_id = start(engine, [wt("slow")])
    first = poll(engine, "slow")
    clock.advance(31)
    eventually(lambda: engine.get_task(first.task_id).status == "TIMED_OUT")
    assert "timed out" in engine.get_task(first.task_id).reason_for_incompletion.lower()
    retry = poll(engine, "slow", 1000)
    assert retry is not None and retry.retried_task_id == first.task_id
    clock.advance(31)
    eventually(lambda: engine.get_workflow(wf_id).status == "TIMED_OUT")


def test_timeout_with_time_out_wf_policy_ends_the_workflow(engine, clock):
    engine.register_task_defs([TaskDef(name="slow", retry_count=3, timeout_seconds=10, response_timeout_seconds=10,
                                       timeout_policy="TIME_OUT_WF")])
    wf_id = start(engine, [wt("slow")])
    poll(engine, "slow")
    clock.advance(11)
    eventually(lambda: engine.get_workflow(wf_id).status == "TIMED_OUT")
    assert len(engine.get_workflow(wf_id).tasks) == 1  # no retry


def test_alert_only_timeout_leaves_the_task_running(engine, clock):
    engine.register_task_defs([TaskDef(name="slow", timeout_seconds=10, response_timeout_seconds=10,
                                       timeout_policy="ALERT_ONLY")])
    wf_id = start(engine, [wt("slow")])
    task = poll(engine, "slow")
    clock.advance(11)
    time.sleep(0.2)
    assert engine.get_task(task.task_id).status == "IN_PROGRESS"
    finish(engine, task)
    assert engine.get_workflow(wf_id).status == "COMPLETED"


def test_a_worker_that_dies_mid_task_is_caught_by_the_response_timeout(engine, clock):
    engine.register_task_defs([TaskDef(name="fragile", retry_count=1, retry_delay_seconds=0,
                                       response_timeout_seconds=5)])
    start(engine, [wt("fragile")])
    lost = poll(engine, "fragile")  # ... and the worker never reports back
    clock.advance(6)
    eventually(lambda: engine.get_task(lost.task_id).status == "TIMED_OUT")
    assert poll(engine, "fragile", 1000) is not None


def test_poll_timeout_when_no_worker_picks_the_task_up(engine, clock):
    engine.register_task_defs([TaskDef(name="unwatched", retry_count=0, poll_timeout_seconds=20,
                                       timeout_policy="TIME_OUT_WF")])
    wf_id = start(engine, [wt("unwatched")])
    clock.advance(21)
    eventually(lambda: engine.get_workflow(wf_id).status == "TIMED_OUT")


def test_workflow_timeout(engine, clock):
    wf_id = start(engine, [wt("forever", "HUMAN")],
                  definition={"timeoutSeconds": 60, "timeoutPolicy": "TIME_OUT_WF"})
    clock.advance(59)
    time.sleep(0.05)
    assert engine.get_workflow(wf_id).status == "RUNNING"
    clock.advance(2)
    eventually(lambda: engine.get_workflow(wf_id).status == "TIMED_OUT")
    wf = engine.get_workflow(wf_id)
    assert "timed out" in wf.reason_for_incompletion and wf.tasks[0].status == "CANCELED"


def test_a_two_hour_wait_completes_when_the_clock_says_so(engine, clock):
    wf_id = start(engine, [wt("nap", "WAIT", inputParameters={"duration": "2 hours"})])
    clock.advance(7199)
    time.sleep(0.05)
    assert engine.get_workflow(wf_id).status == "RUNNING"
    clock.advance(1)
    eventually(lambda: engine.get_workflow(wf_id).status == "COMPLETED")


def test_start_delay_holds_the_task_back(engine, clock):
    start(engine, [wt("later", startDelay=30)])
    assert poll(engine, "later") is None
    clock.advance(30)
    assert poll(engine, "later") is not None


# -------------------------------------------------------------------------------------------------- limits
def test_concurrent_exec_limit(engine, clock):
    engine.register_task_defs([TaskDef(name="scarce", concurrent_exec_limit=2)])
    for _ in range(3):
        start(engine, [wt("scarce")])
    held = [poll(engine, "scarce"), poll(engine, "scarce")]
    assert all(held) and poll(engine, "scarce") is None
    finish(engine, held[0])
    clock.advance(0.1)  # a held task is offered again 100 ms later
    assert poll(engine, "scarce") is not None


def test_rate_limit_per_frequency(engine, clock):
    engine.register_task_defs([TaskDef(name="metered", rate_limit_per_frequency=2, rate_limit_frequency_in_seconds=10)])
    for _ in range(3):
        start(engine, [wt("metered")])
    assert poll(engine, "metered") and poll(engine, "metered")
    assert poll(engine, "metered") is None
    clock.advance(10)
    assert poll(engine, "metered") is not None


# ------------------------------------------------------------------------------------------------- domains
def test_task_to_domain_routes_to_a_domain_being_polled(engine):
    poll(engine, "routed", domain="beta")  # a beta worker is alive
    start(engine, [wt("routed")], task_to_domain={"routed": "alpha,beta"})
    assert poll(engine, "routed") is None
    task = poll(engine, "routed", domain="beta")
    assert task is not None and task.domain == "beta"


def test_the_last_domain_is_used_when_none_is_polled(engine):
    start(engine, [wt("routed2")], task_to_domain={"*": "x,y"})
    assert poll(engine, "routed2", domain="y").domain == "y"


def test_no_domain(engine):
    start(engine, [wt("plain")], task_to_domain={"plain": "NO_DOMAIN"})
    assert poll(engine, "plain").domain is None


# --------------------------------------------------------------------------------------------- idempotency
def test_idempotency_strategies(engine):
    first = start(engine, [wt("once", "HUMAN")], idempotency_key="k1")
    with pytest.raises(ConflictError):
        start(engine, [wt("once", "HUMAN")], idempotency_key="k1")
    assert start(engine, [wt("once", "HUMAN")], idempotency_key="k1", idempotency_strategy="RETURN_EXISTING") == first
    with pytest.raises(ConflictError):
        start(engine, [wt("once", "HUMAN")], idempotency_key="k1", idempotency_strategy="FAIL_ON_RUNNING")
    engine.terminate_workflow(first)
    assert start(engine, [wt("once", "HUMAN")], idempotency_key="k1",
                 idempotency_strategy="FAIL_ON_RUNNING") != first


# ------------------------------------------------------------------------------------ the seed's task_configure
TASK_CONFIGURE = TaskDef(  # the official example: 3 LINEAR_BACKOFF retries of 1 s, concurrency 3, poll timeout 60,
    name="task_with_retries", retry_count=3, retry_logic="LINEAR_BACKOFF", retry_delay_seconds=1,  # timeout 120,
    concurrent_exec_limit=3, poll_timeout_seconds=60, timeout_seconds=120, response_timeout_seconds=60,  # resp 60,
    rate_limit_per_frequency=100, rate_limit_frequency_in_seconds=10)  # 100 per 10 s


@pytest.fixture
def configured(engine):
    engine.register_task_defs([TASK_CONFIGURE])
    stored = engine.get_task_def("task_with_retries")
    assert stored.to_dict() == {**TASK_CONFIGURE.to_dict(), **{k: v for k, v in stored.to_dict().items()
                                                              if k not in TASK_CONFIGURE.to_dict()}}
    return engine


def test_task_configure_retries_with_linear_backoff(configured, clock):
    wf_id = start(configured, [wt("task_with_retries")])
    task = poll(configured, "task_with_retries")
    for attempt, delay in enumerate([1, 2, 3], start=1):  # 1 s x scale 1 x attempt
        finish(configured, task, "FAILED")
        clock.advance(delay - 0.5)
        assert poll(configured, "task_with_retries") is None
        clock.advance(0.5)
        task = poll(configured, "task_with_retries")
        assert task.retry_count == attempt
    finish(configured, task, "FAILED")  # the fourth failure is past the 3 retries
    assert configured.get_workflow(wf_id).status == "FAILED"


def test_task_configure_concurrency_of_three(configured):
    for _ in range(4):
        start(configured, [wt("task_with_retries")])
    assert sum(poll(configured, "task_with_retries") is not None for _ in range(4)) == 3


def test_task_configure_rate_of_100_per_10_seconds(configured, clock):
    configured.register_task_defs([TaskDef.from_dict({**TASK_CONFIGURE.to_dict(), "concurrentExecLimit": None})])
    for _ in range(101):
        start(configured, [wt("task_with_retries")])
    assert len(configured.batch_poll_tasks("task_with_retries", "w", 101, 0)) == 100
    clock.advance(10)
    assert poll(configured, "task_with_retries") is not None


def test_task_configure_poll_timeout_of_60(configured, clock):
    wf_id = start(configured, [wt("task_with_retries")])
    clock.advance(61)
    eventually(lambda: configured.get_workflow(wf_id).tasks[0].status == "TIMED_OUT")


def test_task_configure_response_timeout_of_60(configured, clock):
    start(configured, [wt("task_with_retries")])
    task = poll(configured, "task_with_retries")
    clock.advance(61)
    eventually(lambda: configured.get_task(task.task_id).status == "TIMED_OUT")
    assert "responseTimeout" in configured.get_task(task.task_id).reason_for_incompletion


def test_task_configure_timeout_of_120(configured, clock):
    wf_id = start(configured, [wt("task_with_retries")])
    task = poll(configured, "task_with_retries")
    for _ in range(3):  # keep reporting progress so the response timeout never fires
        clock.advance(40)
        finish(configured, task, "IN_PROGRESS", callback_after_seconds=0)
        task = poll(configured, "task_with_retries")
    clock.advance(1)
    eventually(lambda: configured.get_workflow(wf_id).status == "TIMED_OUT")  # timeoutPolicy TIME_OUT_WF
