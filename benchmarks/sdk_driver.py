"""The workloads' view of the official conductor-python SDK against `conductor-nb server`: its WorkflowExecutor
and workflow client, and its TaskHandler running a Worker in the SDK's own spawned processes (its defaults).

Imported only in a benchmark subprocess: the SDK sets the multiprocessing start method when imported.
"""

# no `from __future__ import annotations`: the SDK binds worker inputs by real (not string) annotations

import contextlib
import os
import struct
import time
from typing import Iterator, Optional

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.api_client import ApiClient
from conductor.client.http.models import StartWorkflowRequest
from conductor.client.orkes_clients import OrkesClients
from conductor.client.worker.worker import Worker

from .defs import WORKER, greet

PROGRESS_ENV = "BENCH_SDK_PROGRESS"  # a file the worker processes append each task's time.time() to
STAMP = struct.Struct("d")


def sdk_greet(name: str) -> str:
    """The SDK's worker function, run in its worker processes: notes when it ran in the progress file."""
    path = os.environ.get(PROGRESS_ENV)
    if path:
        with open(path, "ab") as progress:
            progress.write(STAMP.pack(time.time()))
    return greet(name)


class SdkDriver:
    def __init__(self, url: str, progress_path: str):
        os.environ[PROGRESS_ENV] = progress_path  # inherited by the worker processes the SDK spawns
        open(progress_path, "wb").close()
        self.progress_path = progress_path
        self.configuration = Configuration(server_api_url=url)
        clients = OrkesClients(self.configuration)
        self.metadata = clients.get_metadata_client()
        self.workflows = clients.get_workflow_client()
        self.executor = clients.get_workflow_executor()
        self._api_client = ApiClient(self.configuration)

    def tasks_done(self) -> int:
        return os.path.getsize(self.progress_path) // STAMP.size

    def task_times(self) -> list[float]:
        with open(self.progress_path, "rb") as progress:
            data = progress.read()
        return [t for (t,) in STAMP.iter_unpack(data[:len(data) - len(data) % STAMP.size])]

    def register(self, definition: dict) -> None:
        workflow_def = self._api_client.deserialize_class(definition, "WorkflowDef")
        self.metadata.register_workflow_def(workflow_def, overwrite=True)

    def execute(self, name: str, workflow_input: dict, wait_s: int) -> tuple[str, dict]:
        run = self.executor.execute(name=name, version=1, workflow_input=workflow_input, wait_for_seconds=wait_s)
        self.last_workflow_id = run.workflow_id
        return run.status, run.output or {}

    def start(self, name: str, workflow_input: dict) -> str:
        return self.workflows.start_workflow(StartWorkflowRequest(name=name, version=1, input=workflow_input))

    def terminate(self, workflow_id: str) -> None:
        self.workflows.terminate_workflow(workflow_id, reason="benchmark time cap")

    def search(self, query: str, start: int, size: int):
        return self.workflows.search(start=start, size=size, query=query)

    @staticmethod
    def hits(result) -> tuple[Optional[int], int]:
        """(None, rows): the SDK's ScrollableSearchResultWorkflowSummary has no total count."""
        return getattr(result, "total_hits", None), len(result.results or [])

    @staticmethod
    def frame(result):
        import pandas

        return pandas.DataFrame([r.to_dict() for r in result.results or []])

    @contextlib.contextmanager
    def workers(self) -> Iterator[None]:
        handler = TaskHandler(workers=[Worker(WORKER, sdk_greet)], configuration=self.configuration,
                              scan_for_annotated_workers=False)
        handler.start_processes()
        try:
            yield
        finally:
            handler.stop_processes()

    def close(self) -> None:
        pass
