"""The standard workloads W0-W7. Each takes a Setup (the mode, its driver and server) and a Size, and returns
Metrics: samples of one number each, from repeated runs, bounded in count (the Size) and in time (its budget).

The floor mode does the same work as plain Python calls of the worker function, without an engine."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from . import defs
from .sizes import Size

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TERMINAL = {"COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT"}
STATUS_POLL_S = 0.005  # W4: pause between two looks at whether all the workflows are done


@dataclass
class Metric:
    key: str  # e.g. "W1", "W5 chain 10000"
    unit: str  # "ms", "ms/task", "wf/s"
    samples: list[float] = field(default_factory=list)
    better: str = "lower"  # or "higher"
    note: str = ""
    partial: bool = False  # a time cap cut the run short: the number is a lower bound of the cost

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Setup:
    mode: str  # floor, embedded, http, sdk
    workdir: Path
    driver: object = None  # NbDriver / SdkDriver; None for the floor
    url: Optional[str] = None  # the server's /api address in the HTTP modes


class Budget:
    """A soft time limit: loops check `spent()` before starting another repeat."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.began = time.perf_counter()

    def spent(self) -> bool:
        return time.perf_counter() - self.began > self.seconds


def _ms_since(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def _expect_completed(status: str, output: dict, what: str) -> None:
    if status != "COMPLETED":
        raise RuntimeError(f"{what} ended {status}, not COMPLETED: {output}")


# --------------------------------------------------------------------------------------- W0 cold start, W7 import
COLD_COMMANDS = {
    "floor": lambda: [sys.executable, "-c", "def greet(name):\n    return f'Hello {name}'\n"
                                            "print(f\"workflow result: {greet('World')}\")"],
    "embedded": lambda: [sys.executable, str(HERE / "hello_world.py")],
    "http": lambda: [sys.executable, str(HERE / "hello_world.py")],
    "sdk": lambda: [sys.executable, str(HERE / "hello_world_sdk.py")],
}

IMPORTS = {
    "floor": "import json, sqlite3, threading",  # what any SQLite-backed engine in Python must load
    "embedded": "import conductor_nb",
    "http": "import conductor_nb, conductor_nb.http",
    "sdk": ("from conductor.client.automator.task_handler import TaskHandler; "
            "from conductor.client.configuration.configuration import Configuration; "
            "from conductor.client.worker.worker_task import worker_task; "
            "from conductor.client.workflow.conductor_workflow import ConductorWorkflow; "
            "from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor"),
}


def _fresh_env(setup: Setup, run: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUCTOR_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["CONDUCTOR_NB_DB"] = str(setup.workdir / f"cold{run}.db")
    if setup.url:
        env["CONDUCTOR_SERVER_URL"] = setup.url
    return env


def w0_cold_start(setup: Setup, size: Size) -> list[Metric]:
    """A fresh process imports the package, defines the one-task hello workflow, runs it and prints the result."""
    metric = Metric("W0", "ms", note="wall time of the whole process, worker start and stop included")
    budget = Budget(size.budget_s)
    for run in range(size.cold_runs):
        if run and budget.spent():
            break
        began = time.perf_counter()
        done = subprocess.run(COLD_COMMANDS[setup.mode](), capture_output=True, text=True, timeout=120,
                              env=_fresh_env(setup, run), cwd=setup.workdir)
        elapsed = _ms_since(began)
        if done.returncode != 0 or "workflow result: Hello World" not in done.stdout:
            raise RuntimeError(f"cold start failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-1500:]}")
        metric.samples.append(elapsed)
    return [metric]


def w7_import(setup: Setup, size: Size) -> list[Metric]:
    """Import time in a fresh process (warm file cache), measured inside the process."""
    metrics = [Metric("W7", "ms", note=IMPORTS[setup.mode])]
    if setup.mode == "embedded":  # what the first embedded call adds: the engine is imported on first use
        metrics.append(Metric("W7 with engine", "ms", note="import conductor_nb, conductor_nb.engine"))
    codes = [IMPORTS[setup.mode], "import conductor_nb, conductor_nb.engine"][:len(metrics)]
    budget = Budget(size.budget_s)
    for run in range(size.import_runs):
        if run and budget.spent():
            break
        for metric, code in zip(metrics, codes):
            script = f"import time\nt = time.perf_counter()\n{code}\nprint((time.perf_counter() - t) * 1000)"
            done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                                  env=_fresh_env(setup, run), cwd=setup.workdir)
            if done.returncode != 0:
                raise RuntimeError(f"import failed: {done.stderr[-1500:]}")
            metric.samples.append(float(done.stdout.strip().splitlines()[-1]))
    return metrics


# ------------------------------------------------------------------------------------------------ W1 latency
def w1_warm_latency(setup: Setup, size: Size) -> list[Metric]:
    """The hello workflow executed `hello_runs` times in one process; each repeat's median ms per workflow."""
    metric = Metric("W1", "ms", note=f"median of {size.hello_runs} sequential hello workflows per repeat")
    budget = Budget(size.budget_s)
    if setup.mode == "floor":
        for _ in range(size.hello_repeats):
            times = []
            for i in range(size.hello_runs):
                began = time.perf_counter()
                defs.greet(str(i))
                times.append(_ms_since(began))
            metric.samples.append(statistics.median(times))
        return [metric]
    driver = setup.driver
    driver.register(defs.hello())
    with driver.workers():
        _expect_completed(*driver.execute("bench_hello", {"name": "warm-up"}, 30), "warm-up")
        for repeat in range(size.hello_repeats):
            if repeat and budget.spent():
                break
            times = []
            for i in range(size.hello_runs):
                began = time.perf_counter()
                status, output = driver.execute("bench_hello", {"name": str(i)}, 30)
                times.append(_ms_since(began))
                _expect_completed(status, output, "hello")
                if output.get("result") != f"Hello {i}":
                    raise RuntimeError(f"hello {i} returned {output}")
            metric.samples.append(statistics.median(times))
    return [metric]


# ------------------------------------------------------------------------------------------- W2 chain, W3 fork
def _one_workflow_wall_time(setup: Setup, size: Size, metric: Metric, definition: dict,
                            floor: Callable[[], object]) -> list[Metric]:
    budget = Budget(size.budget_s)
    if setup.mode == "floor":
        for _ in range(size.wide_repeats):
            began = time.perf_counter()
            floor()
            metric.samples.append(_ms_since(began))
        return [metric]
    driver = setup.driver
    driver.register(definition)
    with driver.workers():
        _expect_completed(*driver.execute(definition["name"], {"name": "warm-up"}, 120), "warm-up")
        for repeat in range(size.wide_repeats):
            if repeat and budget.spent():
                break
            began = time.perf_counter()
            status, output = driver.execute(definition["name"], {"name": str(repeat)}, 120)
            metric.samples.append(_ms_since(began))
            _expect_completed(status, output, definition["name"])
    return [metric]


def w2_chain(setup: Setup, size: Size) -> list[Metric]:
    n = size.chain

    def floor():
        for _ in range(n):
            defs.greet("x")

    return _one_workflow_wall_time(setup, size, Metric("W2", "ms", note=f"a chain of {n} worker tasks"),
                                   defs.chain(n), floor)


def w3_fork(setup: Setup, size: Size) -> list[Metric]:
    n = size.fork

    def floor():
        return {f"b{i}": defs.greet("x") for i in range(n)}

    return _one_workflow_wall_time(setup, size, Metric("W3", "ms", note=f"a fork of {n} worker tasks and a join"),
                                   defs.fork(n), floor)


# --------------------------------------------------------------------------------------------- W4 throughput
def w4_throughput(setup: Setup, size: Size) -> list[Metric]:
    """`burst` hello workflows started back-to-back (workers running), until all completed: workflows per second."""
    n = size.burst
    metric = Metric("W4", "wf/s", better="higher", note=f"{n} hello workflows started back-to-back until all done")
    budget = Budget(size.budget_s)
    if setup.mode == "floor":
        for _ in range(size.burst_repeats):
            began = time.perf_counter()
            for i in range(n):
                defs.greet(str(i))
            metric.samples.append(n / (time.perf_counter() - began))
        return [metric]
    driver = setup.driver
    driver.register(defs.hello())
    with driver.workers():
        _expect_completed(*driver.execute("bench_hello", {"name": "warm-up"}, 30), "warm-up")
        for repeat in range(size.burst_repeats):
            if repeat and budget.spent():
                break
            deadline = time.monotonic() + max(60.0, 2 * size.budget_s)
            done_before = driver.tasks_done()
            began = time.perf_counter()
            for i in range(n):
                driver.start("bench_hello", {"name": str(i)})
            _await_all_done(driver, n, done_before, deadline)
            metric.samples.append(n / (time.perf_counter() - began))
    return [metric]


def _await_all_done(driver, n: int, done_before: int, deadline: float) -> None:
    """Until the worker has run n more tasks and no hello workflow is left RUNNING. Watching the worker's count
    (not each workflow's status) keeps the measuring from competing with the engine for the CPU."""
    while driver.tasks_done() - done_before < n or _hello_rows(driver, "RUNNING"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{n} workflows not done in time ({driver.tasks_done() - done_before} tasks run)")
        time.sleep(STATUS_POLL_S)
    if _hello_rows(driver, "FAILED, TERMINATED, TIMED_OUT"):
        raise RuntimeError("some hello workflows did not complete")


def _hello_rows(driver, statuses: str) -> int:
    return driver.hits(driver.search(f"workflowType = 'bench_hello' AND status IN ({statuses})", 0, 1))[1]


# ------------------------------------------------------------------------------------------------ W5 scaling
def _fifths(times: list[float]) -> Optional[str]:
    """The cost per task over the first and the last fifth of a run's tasks, from when the worker ran each: does
    the cost grow along one workflow?"""
    k = len(times) // 5
    if k < 2:
        return None
    first = (times[k] - times[0]) * 1000 / k
    last = (times[-1] - times[-1 - k]) * 1000 / k
    return f"first fifth of the tasks {first:.2f} ms/task, last fifth {last:.2f}"


def _scaling_run(setup: Setup, size: Size, metric: Metric, definition: dict, tasks: int, repeat: int) -> None:
    driver = setup.driver
    cap = size.scaling_cap_s
    done_before = driver.tasks_done()
    began = time.perf_counter()
    status, output = driver.execute(definition["name"], {"name": str(repeat)}, max(1, int(cap)))
    elapsed = _ms_since(began)
    times = driver.task_times()[done_before:]
    if status == "COMPLETED":
        metric.samples.append(elapsed / tasks)
        if tasks >= 1000:
            metric.note = "; ".join(filter(None, [metric.note, _fifths(times)]))
        return
    if status in TERMINAL:
        raise RuntimeError(f"{definition['name']} ended {status}: {output}")
    try:  # the time cap was reached: the cost per task over the tasks done so far
        driver.terminate(driver.last_workflow_id)
    except Exception:  # it may have ended meanwhile; the next run starts a new workflow anyway
        pass
    if not times:
        raise TimeoutError(f"{definition['name']}: no task done in {cap:g} s")
    metric.samples.append(elapsed / len(times))
    metric.partial = True
    metric.note = "; ".join(filter(None, [metric.note, f"capped at {cap:g} s: {len(times):,} of {tasks:,} tasks done",
                                          _fifths(times)]))


def w5_scaling(setup: Setup, size: Size) -> list[Metric]:
    """Chains of each length and a DO_WHILE loop, one worker task per step: ms per worker task."""
    chains = [(Metric(f"W5 chain {n}", "ms/task"), defs.chain(n), n) for n in size.scaling_chains]
    it = size.loop_iterations
    loops = [(Metric(f"W5 loop {it}", "ms/task", note="DO_WHILE, every iteration's output kept (the default)"),
              defs.loop(it), it)] if it else []
    runs = [*chains, *loops]
    if setup.mode == "floor":
        for metric, _, n in chains:
            for _ in range(size.chain_repeats(n)):
                began = time.perf_counter()
                for _ in range(n):
                    defs.greet("x")
                metric.samples.append(_ms_since(began) / n)
        for metric, _, _ in loops:
            began = time.perf_counter()
            i = 0
            while i < it:
                defs.greet("x")
                i += 1
            metric.samples.append(_ms_since(began) / it)
        return [m for m, _, _ in runs]
    driver = setup.driver
    warm_ups = [defs.chain(2), defs.loop(2)]  # the first loop condition also starts the JavaScript engine
    for definition in [*warm_ups, *(d for _, d, _ in runs)]:
        driver.register(definition)
    with driver.workers():
        for definition in warm_ups:
            _expect_completed(*driver.execute(definition["name"], {"name": "warm-up"}, 60), "warm-up")
        for metric, definition, n in runs:
            for repeat in range(size.chain_repeats(n)):
                _scaling_run(setup, size, metric, definition, n, repeat)
                if metric.partial:
                    break
    return [m for m, _, _ in runs]


# ------------------------------------------------------------------------------------------------- W6 search
def expected_hits(stored: int) -> int:
    return sum(1 for i in range(stored)
               if defs.seed_input(i) == ("bench_search_b", {"status": "COMPLETED", "i": i}))


def w6_search(setup: Setup, size: Size) -> list[Metric]:
    """A status-and-type query over `stored` executions, a page of 100; then the same page as a DataFrame."""
    page = Metric("W6 page", "ms", note=f"{defs.SEARCH_QUERY!r} over {size.stored:,} executions, 100 rows")
    frame = Metric("W6 frame", "ms", note="the same query, the page as a pandas DataFrame")
    expected = expected_hits(size.stored)
    if setup.mode == "floor":
        return _w6_floor(size, page, frame, expected)
    driver = setup.driver
    result = driver.search(defs.SEARCH_QUERY, 0, 100)  # warm-up, and a check of what the query finds
    total, rows = driver.hits(result)
    if rows != min(100, expected) or total not in (expected, None):  # None: the official SDK drops the count
        raise RuntimeError(f"search found {(total, rows)}, expected ({expected}, {min(100, expected)})")
    for _ in range(size.search_repeats):
        began = time.perf_counter()
        driver.search(defs.SEARCH_QUERY, 0, 100)
        page.samples.append(_ms_since(began))
    if setup.mode in ("embedded", "http"):
        from .nb_driver import frame_of

        frame.note += f", by {frame_of(result)[1]}"
    else:
        frame.note += ", by pandas.DataFrame over the SDK's summaries' to_dict()"
    driver.frame(result)  # warm-up: imports pandas
    for _ in range(size.search_repeats):
        began = time.perf_counter()
        df = driver.frame(driver.search(defs.SEARCH_QUERY, 0, 100))
        frame.samples.append(_ms_since(began))
    if len(df) != min(100, expected):
        raise RuntimeError(f"the DataFrame has {len(df)} rows")
    return [page, frame]


def _w6_floor(size: Size, page: Metric, frame: Metric, expected: int) -> list[Metric]:
    import pandas

    rows = []
    for i in range(size.stored):
        name, workflow_input = defs.seed_input(i)
        rows.append({"workflowType": name, "status": workflow_input["status"], "startTime": i,
                     "workflowId": f"wf-{i}", "input": workflow_input})

    def query():
        found = [r for r in rows if r["status"] == "COMPLETED" and r["workflowType"] == "bench_search_b"]
        found.sort(key=lambda r: r["startTime"], reverse=True)
        return len(found), found[:100]

    page.note = "a Python list of dicts: filter, sort, first 100"
    frame.note = "the same, then pandas.DataFrame of the 100 rows"
    for _ in range(size.search_repeats):
        began = time.perf_counter()
        total, first = query()
        page.samples.append(_ms_since(began))
    assert total == expected
    for _ in range(size.search_repeats):
        began = time.perf_counter()
        pandas.DataFrame(query()[1])
        frame.samples.append(_ms_since(began))
    return [page, frame]


def seed(db_path: str, stored: int) -> dict:
    """Store `stored` executions (four workflow types, four statuses) on the embedded engine: W6's database."""
    from conductor_nb import Configuration

    from .nb_driver import NbDriver

    driver = NbDriver(Configuration(db_path=db_path))
    for name in defs.SEARCH_TYPES:
        driver.register(defs.searchable(name))
    began = time.perf_counter()
    for i in range(stored):
        name, workflow_input = defs.seed_input(i)
        driver.start(name, workflow_input)
    elapsed = time.perf_counter() - began
    driver.close()
    return {"stored": stored, "seconds": elapsed, "ms_per_start": elapsed * 1000 / max(1, stored)}


WORKLOADS: dict[str, Callable[[Setup, Size], list[Metric]]] = {
    "W0": w0_cold_start,
    "W1": w1_warm_latency,
    "W2": w2_chain,
    "W3": w3_fork,
    "W4": w4_throughput,
    "W5": w5_scaling,
    "W6": w6_search,
    "W7": w7_import,
}
NEEDS_DRIVER = {"W1", "W2", "W3", "W4", "W5", "W6"}
NEEDS_SEARCH_DB = {"W6"}


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="conductor_nb_bench_"))
