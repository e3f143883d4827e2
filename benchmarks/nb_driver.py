"""The workloads' view of conductor_nb: the embedded engine (a Configuration with a db_path) or conductor_nb's
HTTP client (a Configuration with a server URL), always through the user-facing API: WorkflowExecutor and
WorkflowClient to run workflows, TaskHandler threads running a Worker for the tasks."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from typing import Iterator

from conductor_nb import (
    Configuration,
    StartWorkflowRequest,
    TaskHandler,
    Worker,
    WorkflowClient,
    WorkflowDef,
    WorkflowExecutor,
)
from conductor_nb.api import connect

from .defs import WORKER, greet

class NbDriver:
    def __init__(self, configuration: Configuration):
        self.configuration = configuration
        self.api = connect(configuration)
        self.executor = WorkflowExecutor(configuration=configuration)
        self.workflows = WorkflowClient(configuration, self.api)
        self.times: list[float] = []  # when the worker ran each task (time.time())

    def tasks_done(self) -> int:
        return len(self.times)

    def task_times(self) -> list[float]:
        return list(self.times)

    def register(self, definition: dict) -> None:
        self.executor.register_workflow(WorkflowDef.from_dict(definition), overwrite=True)

    def execute(self, name: str, workflow_input: dict, wait_s: int) -> tuple[str, dict]:
        run = self.executor.execute(name=name, version=1, workflow_input=workflow_input, wait_for_seconds=wait_s)
        self.last_workflow_id = run.workflow_id
        return run.status, run.output or {}

    def start(self, name: str, workflow_input: dict) -> str:
        return self.workflows.start_workflow(StartWorkflowRequest(name=name, version=1, input=workflow_input))

    def terminate(self, workflow_id: str) -> None:
        self.workflows.terminate_workflow(workflow_id, reason="benchmark time cap")

    def search(self, query: str, start: int, size: int):
        # conductor_nb's WorkflowClient has no search() (the official SDK's has): the ConductorAPI call it would make
        return self.api.search_workflows(start=start, size=size, query=query)

    @staticmethod
    def hits(result) -> tuple[int, int]:
        return result.total_hits, len(result.results)

    @staticmethod
    def frame(result):
        return frame_of(result)[0]

    @contextlib.contextmanager
    def workers(self) -> Iterator[None]:
        def counted_greet(name: str) -> str:
            self.times.append(time.time())
            return greet(name)

        handler = TaskHandler(workers=[Worker(WORKER, counted_greet)], configuration=self.configuration,
                              scan_for_annotated_workers=False)
        handler.start_processes()
        try:
            yield
        finally:
            handler.stop_processes()

    def close(self) -> None:
        close = getattr(self.api, "close", None)
        if close is not None:
            close()


def frame_of(result) -> tuple[object, str]:
    """The search result as a DataFrame, and how it was made: conductor_nb.notebook.frames when it offers a
    converter, else pandas over the summaries' fields."""
    try:
        from conductor_nb.notebook import frames
    except ImportError:
        frames = None
    if frames is not None:
        for name in ("search_frame", "search_results_frame", "to_frame", "frame", "as_frame", "to_dataframe"):
            convert = getattr(frames, name, None)
            if callable(convert):
                return convert(result), f"conductor_nb.notebook.frames.{name}"
    import pandas

    rows = [{f.name: getattr(r, f.name) for f in dataclasses.fields(r) if f.name != "extra"} for r in result.results]
    why = "has no converter we know" if frames is not None else "is not there yet"
    return pandas.DataFrame(rows), f"pandas.DataFrame over the summaries (conductor_nb.notebook.frames {why})"
