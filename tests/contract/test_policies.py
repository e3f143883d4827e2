"""Task and workflow policies: retries with backoff, timeouts, limits, domains, idempotency, start delays.

Time-driven tests run on an engine with a FakeClock: a 60-second retry delay takes no real time.
"""

import time

import pytest

from conductor_nb import ConflictError, FakeClock, StartWorkflowRequest, TaskDef, TaskResult, WorkflowDef
from conductor_nb.engine import Engine
from conductor_nb.http import HttpConductor
from conductor_nb.server import ConductorServer

from workflow_helpers import wt


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def engine(tmp_path, clock):
    engine = Engine(str(tmp_path / "policies.db"), clock=clock)
    yield engine
    engine.close()


@pytest.fixture(params=["embedded", "http"])
def timed(request, engine):
    """The FakeClock engine on both homes: called directly, and through HttpConductor and the server."""
    if request.param == "embedded":
        yield engine
        return
    with ConductorServer(engine, port=0) as server:
        client = HttpConductor(server.url)
        yield client
        client.close()


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


def report_progress(api, task, clock, seconds):
    """The worker says IN_PROGRESS `seconds` from now (the task goes back to its queue) and takes it again."""
    clock.advance(seconds)
    finish(api, task, "IN_PROGRESS", callback_after_seconds=0)
    again = poll(api, task.task_type)
    assert again is not None and again.task_id == task.task_id
    return again


def test_alert_only_timeout_leaves_the_task_running(timed, clock, caplog):
    timed.register_task_defs([TaskDef(name="slow", retry_count=0, timeout_seconds=10, response_timeout_seconds=8,
                                      timeout_policy="ALERT_ONLY")])
    wf_id = start(timed, [wt("slow")])
    task = report_progress(timed, poll(timed, "slow"), clock, 6)  # its response timeout is now due at 14 s
    with caplog.at_level("INFO", logger="conductor_nb.engine"):
        clock.advance(5)  # 11 s: past timeoutSeconds, which only logs
        eventually(lambda: "Timeout policy configured to ALERT_ONLY" in caplog.text)
    assert timed.get_task(task.task_id).status == "IN_PROGRESS"
    finish(timed, task)
    assert timed.get_workflow(wf_id).status == "COMPLETED"


def test_a_response_timeout_after_an_alert_only_timeout_still_times_the_task_out(timed, clock):
    timed.register_task_defs([TaskDef(name="slow", retry_count=1, retry_delay_seconds=0, timeout_seconds=10,
                                      response_timeout_seconds=8, timeout_policy="ALERT_ONLY")])
    wf_id = start(timed, [wt("slow")])
    task = report_progress(timed, poll(timed, "slow"), clock, 6)
    clock.advance(5)  # 11 s: the ALERT_ONLY timeout passes; the task runs on
    time.sleep(0.1)
    assert timed.get_task(task.task_id).status == "IN_PROGRESS"
    clock.advance(4)  # 15 s: 9 s without news, past the 8 s response timeout
    eventually(lambda: timed.get_task(task.task_id).status == "TIMED_OUT")
    assert "responseTimeout: 8" in timed.get_task(task.task_id).reason_for_incompletion
    retry = poll(timed, "slow", 1000)
    assert retry is not None and retry.retried_task_id == task.task_id
    assert timed.get_workflow(wf_id).status == "RUNNING"


def test_the_timeout_counts_from_the_start_while_the_worker_has_sent_the_task_back(timed, clock):
    timed.register_task_defs([TaskDef(name="returns", retry_count=0, timeout_seconds=30,
                                      response_timeout_seconds=30, timeout_policy="TIME_OUT_WF")])
    wf_id = start(timed, [wt("returns")])
    task = poll(timed, "returns")
    clock.advance(5)
    finish(timed, task, "IN_PROGRESS", callback_after_seconds=600)  # back to SCHEDULED for 10 minutes
    assert timed.get_task(task.task_id).status == "SCHEDULED"
    clock.advance(26)  # 31 s after its start
    eventually(lambda: timed.get_workflow(wf_id).status == "TIMED_OUT")
    timed_out = timed.get_task(task.task_id)
    assert timed_out.status == "TIMED_OUT" and "Task timed out after 31 seconds" in timed_out.reason_for_incompletion


def test_the_poll_timeout_applies_to_a_task_sent_back_to_its_queue(timed, clock):
    timed.register_task_defs([TaskDef(name="returned", retry_count=0, poll_timeout_seconds=10,
                                      timeout_policy="TIME_OUT_WF")])
    wf_id = start(timed, [wt("returned")])
    task = poll(timed, "returned")
    clock.advance(1)
    finish(timed, task, "IN_PROGRESS", callback_after_seconds=5)  # no worker takes it again
    clock.advance(13)  # 14 s after it was scheduled: the poll timeout is due at 10 + 5
    time.sleep(0.1)
    assert timed.get_workflow(wf_id).status == "RUNNING"
    clock.advance(2)
    eventually(lambda: timed.get_workflow(wf_id).status == "TIMED_OUT")
    assert "poll timed out" in timed.get_task(task.task_id).reason_for_incompletion


def test_a_system_task_times_out_by_the_task_definition_of_its_name(timed, clock):
    timed.register_task_defs([TaskDef(name="wait_timeout", retry_count=1, retry_delay_seconds=0, timeout_seconds=2,
                                      response_timeout_seconds=2, timeout_policy="RETRY")])
    wf_id = start(timed, [wt("w", "WAIT", name="wait_timeout")])
    first = timed.get_workflow(wf_id).tasks[0]
    assert first.status == "IN_PROGRESS"
    clock.advance(3)
    eventually(lambda: len(timed.get_workflow(wf_id).tasks) == 2)
    timed_out, retry = timed.get_workflow(wf_id).tasks
    assert (timed_out.status, retry.retried_task_id) == ("TIMED_OUT", first.task_id)
    assert "Task timed out after 3 seconds" in timed_out.reason_for_incompletion
    timed.update_task(TaskResult(task_id=retry.task_id, workflow_instance_id=wf_id, status="COMPLETED"))
    assert timed.get_workflow(wf_id).status == "COMPLETED"


def test_an_embedded_task_definition_times_out_a_system_task(timed, clock):
    human = wt("h", "HUMAN", taskDefinition={"name": "h", "timeoutSeconds": 5, "timeoutPolicy": "TIME_OUT_WF"})
    wf_id = start(timed, [human])
    clock.advance(6)
    eventually(lambda: timed.get_workflow(wf_id).status == "TIMED_OUT")
    assert timed.get_workflow(wf_id).tasks[0].status == "TIMED_OUT"


def test_a_system_task_gets_no_default_limits_and_no_response_timeout(timed, clock):
    timed.register_task_defs([TaskDef(name="patient", response_timeout_seconds=2)])  # no timeoutSeconds
    wf_id = start(timed, [wt("unregistered", "WAIT"), wt("registered", "HUMAN", name="patient")])
    timed.update_task_by_ref_name(wf_id, "unregistered", "IN_PROGRESS", {})
    clock.advance(4000)  # past the default task definition's response timeout of 3600 s, which is a worker's
    time.sleep(0.1)
    assert [t.status for t in timed.get_workflow(wf_id).tasks] == ["IN_PROGRESS"]
    timed.update_task_by_ref_name(wf_id, "unregistered", "COMPLETED", {})
    clock.advance(10)  # the HUMAN's TaskDef has a response timeout: system tasks do not respond, none applies
    time.sleep(0.1)
    wf = timed.get_workflow(wf_id)
    assert wf.status == "RUNNING" and wf.tasks[1].status == "IN_PROGRESS"


def test_the_default_task_definition_of_an_unregistered_simple_task(timed, clock):
    """No TaskDef: retryCount 3, FIXED 60 s, responseTimeoutSeconds 3600, no timeoutSeconds (Conductor's ad-hoc
    definition)."""
    wf_id = start(timed, [wt("unregistered_worker")])
    task = poll(timed, "unregistered_worker")
    for _ in range(2):  # two hours of progress reports: no overall timeout
        task = report_progress(timed, task, clock, 3599)
    clock.advance(3601)  # then silence: the response timeout
    eventually(lambda: timed.get_task(task.task_id).status == "TIMED_OUT")
    assert "responseTimeout: 3600" in timed.get_task(task.task_id).reason_for_incompletion
    for attempt in (1, 2, 3):  # three retries, each 60 s later
        clock.advance(59)
        assert poll(timed, "unregistered_worker") is None
        clock.advance(1)
        task = poll(timed, "unregistered_worker")
        assert task.retry_count == attempt
        finish(timed, task, "FAILED")
    assert timed.get_workflow(wf_id).status == "FAILED"


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


def test_workflow_timeout_alert_only(timed, clock, caplog):
    wf_id = start(timed, [wt("forever", "HUMAN")], definition={"timeoutSeconds": 60, "timeoutPolicy": "ALERT_ONLY"})
    with caplog.at_level("INFO", logger="conductor_nb.engine"):
        clock.advance(61)
        eventually(lambda: "Workflow timed out after 61 seconds" in caplog.text)
    wf = timed.get_workflow(wf_id)
    assert wf.status == "RUNNING" and wf.tasks[0].status == "IN_PROGRESS"
    timed.update_task_by_ref_name(wf_id, "forever", "COMPLETED", {})
    assert timed.get_workflow(wf_id).status == "COMPLETED"


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
    clock.advance(40)  # the worker asks for 100 s more: back in the queue, its poll timeout now due at 60 + 100 s
    finish(configured, task, "IN_PROGRESS", callback_after_seconds=100)
    clock.advance(79)
    time.sleep(0.05)
    assert configured.get_workflow(wf_id).status == "RUNNING"
    clock.advance(2)  # 121 s after its start
    eventually(lambda: configured.get_workflow(wf_id).status == "TIMED_OUT")  # timeoutPolicy TIME_OUT_WF
    assert "Task timed out after 121 seconds" in configured.get_task(task.task_id).reason_for_incompletion
