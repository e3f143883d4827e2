"""The official `conductor-python` SDK against `conductor-nb server`: its hello world with its own worker
processes, and its metadata, workflow and task clients. The SDK runs in subprocesses (it switches
multiprocessing to spawn at import), from real script files with a __main__ guard."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conductor_nb.http import HttpConductor

SCRIPTS = Path(__file__).parent / "sdk"


def run_sdk(script, url, **env):
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / script)], capture_output=True, text=True, timeout=120,
        env={**os.environ, "CONDUCTOR_SERVER_URL": url, **env},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_hello_world_runs_to_completion_with_the_sdks_worker_processes(cli_server):
    server = cli_server()
    # Keys set, but the server has no /token: the SDK switches auth off, as against Conductor OSS.
    run, log = run_sdk("hello_world.py", server.url, CONDUCTOR_AUTH_KEY="key", CONDUCTOR_AUTH_SECRET="secret")
    assert run["status"] == "COMPLETED" and run["output"] == {"result": "Hello World"}
    workflow = HttpConductor(server.url).get_workflow(run["workflow_id"])
    assert workflow.tasks[0].task_def_name == "greet" and workflow.tasks[0].worker_id
    assert "/token not found (404)" in log
    assert server.stop()[1] == 0


@pytest.fixture(scope="module")
def sdk_outcomes(module_cli_server):
    """The clients script's outcomes, against a server with auth and tokens that expire in half a second."""
    server = module_cli_server("--auth", "app:s3cret", "--token-ttl", "0.5")
    outcomes, _ = run_sdk("clients.py", server.url, CONDUCTOR_AUTH_KEY="app", CONDUCTOR_AUTH_SECRET="s3cret")
    assert server.stop()[1] == 0
    return outcomes


def test_metadata_client_registers_and_reads_definitions(sdk_outcomes):
    o = sdk_outcomes
    assert o["register_task_def"] is None and o["update_task_def"] is None
    assert o["get_task_def"]["name"] == "sdk_a" and o["get_all_task_defs"] == ["sdk_a"]
    assert o["register_workflow_def"] is None
    assert o["get_workflow_def"]["name"] == "sdk_flow" and len(o["get_workflow_def"]["tasks"]) == 2
    assert o["get_all_workflow_defs"] == [["sdk_flow", 1]]
    assert o["unregister_workflow_def"] is None and o["unregister_task_def"] is None


def test_workflow_client_starts_reads_pauses_resumes_terminates(sdk_outcomes):
    o = sdk_outcomes
    assert o["get_workflow"]["workflow_id"] == o["start_workflow"]
    assert o["get_workflow"]["correlation_id"] == "corr-1" and o["get_workflow"]["status"] == "RUNNING"
    assert o["get_workflow_status"]["status"] == "RUNNING"
    assert isinstance(o["start_workflow_by_name"], str) and len(o["start_workflow_by_name"]) == 36
    assert o["pause_workflow"] is None and o["status_paused"] == "PAUSED" and o["resume_workflow"] is None
    # The SDK's update_task_by_ref_name wraps the output in {"result": ...} itself.
    assert o["completed"]["status"] == "COMPLETED" and o["completed"]["output"] == {"result": {"by": "ref"}}
    assert o["terminate_workflow"] is None and o["terminated"] == "TERMINATED"
    assert o["delete_workflow"] is None and o["deleted"] == {"error": "ApiException", "status": 404}
    assert {r["workflow_type"] for r in o["search"]["results"]} == {"sdk_flow"} and len(o["search"]["results"]) >= 2


def test_task_client_polls_updates_and_logs(sdk_outcomes):
    o = sdk_outcomes
    polled = o["poll_task"]
    assert polled["status"] == "IN_PROGRESS" and polled["input_data"] == {"who": "sdk"}
    assert polled["worker_id"] == "sdk-worker" and o["get_task"]["task_id"] == polled["task_id"]
    assert o["get_task_logs"] == ["from the sdk"]
    assert o["update_task"] == polled["task_id"]
    assert o["empty_batch_poll"] == []
    assert isinstance(o["update_task_by_ref_name"], str)
    assert o["completed"]["tasks"][0]["output_data"] == {"done": "sdk"}


def test_the_sdk_renews_an_expired_token_by_itself(sdk_outcomes):
    assert sdk_outcomes["after_token_expiry"] == []  # the definitions were unregistered just before


def test_workflow_client_retries_a_failed_workflow(sdk_outcomes):
    o = sdk_outcomes
    assert o["restart_workflow"] is None and o["restarted"] == "RUNNING"
    assert isinstance(o["fail_task"], str) and o["failed"] == "FAILED"
    assert o["retry_workflow"] is None and o["retried"]["status"] == "RUNNING"
    failed, again = o["retried"]["tasks"]
    assert (failed["reference_task_name"], failed["status"]) == ("a_ref", "FAILED_WITH_TERMINAL_ERROR")
    assert (again["reference_task_name"], again["status"]) == ("a_ref", "SCHEDULED")
    assert again["retried_task_id"] == failed["task_id"]


def test_workflow_client_tests_a_workflow_with_mocks(sdk_outcomes):
    run = sdk_outcomes["test_workflow"]
    assert run["status"] == "COMPLETED" and run["input"] == {"who": "test"} and run["output"] == {"mocked": "b"}
    assert [(t["reference_task_name"], t["status"], t["output_data"]) for t in run["tasks"]] == [
        ("a_ref", "COMPLETED", {"mocked": "a"}), ("b_ref", "COMPLETED", {"mocked": "b"})]


def test_workflow_executor_signals_sync_and_async(sdk_outcomes):
    o = sdk_outcomes
    assert o["signal"] == {"type": "SignalResponse", "response_type": "TARGET_WORKFLOW", "workflow_id": True,
                           "status": "RUNNING", "tasks": [["timed", "COMPLETED"], ["gate", "IN_PROGRESS"]]}
    assert o["signal_blocking_task"] == {"response_type": "BLOCKING_TASK", "reference_task_name": "gate",
                                         "task_type": "WAIT", "status": "IN_PROGRESS"}
    assert o["signal_async"] is None
    assert o["signalled"]["status"] == "COMPLETED" and o["signalled"]["output"] == {"k": 3}
    assert o["signal_nothing"] == {"error": "ApiException", "status": 404}
