"""The hello world executed N times in one process on the embedded engine with a thread worker: ms per workflow.

Usage: python benchmarks/hello_latency.py [N] [DB]  (DB defaults to a temporary file; ":memory:" works too)
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

from conductor_nb import Configuration, ConductorWorkflow, SimpleTask, TaskHandler, Worker, WorkflowExecutor


def greet(name: str) -> str:
    return f"Hello {name}"


def main(n: int = 200, db: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Configuration(db_path=db or str(Path(tmp) / "bench.db"))
        executor = WorkflowExecutor(configuration=config)
        workflow = ConductorWorkflow(name="greetings", executor=executor, version=1)
        workflow >> SimpleTask("greet", "greet_ref").input(key="name", value=workflow.input("name"))
        workflow.register(True)
        with TaskHandler(workers=[Worker("greet", greet)], configuration=config,
                         scan_for_annotated_workers=False) as handler:
            handler.start_processes()
            executor.execute(name="greetings", version=1, workflow_input={"name": "warm-up"})
            times = []
            for i in range(n):
                began = time.perf_counter()
                run = executor.execute(name="greetings", version=1, workflow_input={"name": str(i)})
                times.append((time.perf_counter() - began) * 1000)
                assert run.output["result"] == f"Hello {i}", run
    print(f"hello world x{n} ({config.db_path if db else 'temporary file'}): median {statistics.median(times):.3f} ms, "
          f"min {min(times):.3f} ms, max {max(times):.3f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, sys.argv[2] if len(sys.argv) > 2 else None)
