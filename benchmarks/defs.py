"""The workloads' workflow definitions as Conductor JSON, the same in every mode, and the one worker function."""

from __future__ import annotations

WORKER = "bench_greet"
NEVER_POLLED = "bench_never_polled"
SEARCH_TYPES = ("bench_search_a", "bench_search_b", "bench_search_c", "bench_search_d")
SEARCH_STATUSES = ("COMPLETED", "RUNNING", "FAILED", "TERMINATED")
SEARCH_QUERY = "status = 'COMPLETED' AND workflowType = 'bench_search_b'"


def greet(name: str) -> str:
    return f"Hello {name}"


def _greet_task(ref: str) -> dict:
    return {"name": WORKER, "taskReferenceName": ref, "type": "SIMPLE",
            "inputParameters": {"name": "${workflow.input.name}"}}


def _workflow(name: str, tasks: list[dict]) -> dict:
    return {"name": name, "version": 1, "schemaVersion": 2, "tasks": tasks, "timeoutSeconds": 0}


def hello() -> dict:
    return _workflow("bench_hello", [_greet_task("greet_ref")])


def chain(n: int) -> dict:
    """n worker tasks one after the other."""
    return _workflow(f"bench_chain_{n}", [_greet_task(f"t{i}") for i in range(n)])


def fork(n: int) -> dict:
    """A FORK_JOIN of n one-task branches and the JOIN on all of them."""
    refs = [f"b{i}" for i in range(n)]
    return _workflow(f"bench_fork_{n}", [
        {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN",
         "forkTasks": [[_greet_task(ref)] for ref in refs]},
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": refs},
    ])


def loop(iterations: int) -> dict:
    """A DO_WHILE running one worker task `iterations` times (the default: every iteration's output kept)."""
    return _workflow(f"bench_loop_{iterations}", [
        {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
         "inputParameters": {"limit": iterations},
         "loopCondition": "if ($.loop['iteration'] < $.limit) { true; } else { false; }",
         "loopOver": [_greet_task("body")]},
    ])


def searchable(name: str) -> dict:
    """Ends at start with the status given as input (TERMINATE), or stays RUNNING on a task nobody polls."""
    return _workflow(name, [
        {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param",
         "expression": "status", "inputParameters": {"status": "${workflow.input.status}"},
         "decisionCases": {"RUNNING": [{"name": NEVER_POLLED, "taskReferenceName": "parked", "type": "SIMPLE"}]},
         "defaultCase": [{"name": "end", "taskReferenceName": "end", "type": "TERMINATE",
                          "inputParameters": {"terminationStatus": "${workflow.input.status}",
                                              "terminationReason": "seeded"}}]},
    ])


def seed_input(i: int) -> tuple[str, dict]:
    """The i-th stored execution: its workflow type and input (types and statuses evenly spread)."""
    return SEARCH_TYPES[(i // 4) % len(SEARCH_TYPES)], {"status": SEARCH_STATUSES[i % 4], "i": i}
