"""What the routes call: the served ConductorAPI, adapted where the REST API and the protocol differ, plus the
server's own operations (token, health, API docs).

An operation the API does not have (yet) answers Conductor's 500, so engine methods added later are served without
a change here.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional

from ..api import ConductorAPI
from ..errors import NotFoundError, ServerError, bad_request
from ..models import StartWorkflowRequest, Task, TaskResult, WorkflowDef, WorkflowRun
from .auth import TokenIssuer

LONG_POLL_SLICE_MS = 500  # long polls wait in slices this long, so a stopping server ends them early
MAX_LONG_POLL_MS = 5000  # Conductor's cap on a batch poll's timeout


class Service:
    """The operations behind the routes, by name."""

    def __init__(self, api: ConductorAPI, stopping: threading.Event, tokens: Optional[TokenIssuer],
                 api_docs: Callable[[], dict]):
        self._api = api
        self._stopping = stopping
        self.tokens = tokens
        self._api_docs = api_docs

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return getattr(self._api, name)
        except AttributeError:
            raise ServerError(f"{name} is not supported by this server") from None

    # -- where the REST API and the protocol differ -----------------------------------------------------------
    def batch_poll_tasks(self, task_type: str, worker_id: Optional[str] = None, count: int = 1,
                         timeout_ms: int = 100, domain: Optional[str] = None) -> list[Task]:
        """The API's long poll, waited in slices so that stopping the server ends it early."""
        if not 0 <= timeout_ms <= MAX_LONG_POLL_MS:  # out of Conductor's range: the API says why
            return self._api.batch_poll_tasks(task_type, worker_id, count, timeout_ms, domain)
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            wait_ms = max(0, min(LONG_POLL_SLICE_MS, round((deadline - time.monotonic()) * 1000)))
            tasks = self._api.batch_poll_tasks(task_type, worker_id, count, wait_ms, domain)
            if tasks or wait_ms == 0 or self._stopping.is_set():
                return tasks

    def execute_workflow(self, name: str, version: int, request: StartWorkflowRequest,
                         request_id: Optional[str] = None, wait_until_task_ref: Optional[str] = None,
                         wait_for_seconds: float = 10) -> WorkflowRun:
        """POST /workflow/execute/{name}/{version}: the path names the workflow (version 0: the latest)."""
        request.name, request.version = name, version or None
        return self._api.execute_workflow(request, request_id, wait_until_task_ref, wait_for_seconds)

    def update_task_v2(self, result: TaskResult) -> Optional[Task]:
        """POST /tasks/update-v2 (the official SDK's workers use it): the API's own, or else an update followed by
        a poll for the next task of the same type and domain."""
        own = getattr(self._api, "update_task_v2", None)
        if own is not None:
            return own(result)
        self._api.update_task(result)
        task = self._api.get_task(result.task_id)
        tasks = self._api.batch_poll_tasks(task.task_type, result.worker_id, 1, 0, task.domain)
        return tasks[0] if tasks else None

    def update_workflow_defs(self, workflow_defs: list[WorkflowDef]) -> dict:
        """PUT /metadata/workflow answers a BulkResponse."""
        self._api.update_workflow_defs(workflow_defs)
        return {"bulkErrorResults": {}, "bulkSuccessfulResults": [d.name for d in workflow_defs]}

    def start_workflow_by_name(self, name: str, input: dict, version: Optional[int] = None,
                               correlation_id: Optional[str] = None, priority: int = 0) -> str:
        """POST /workflow/{name}: start with the body as the input."""
        return self._api.start_workflow(StartWorkflowRequest(
            name=name, version=version, correlation_id=correlation_id, priority=priority, input=input))

    # -- the server's own ----------------------------------------------------------------------------------------
    def generate_token(self, request: dict) -> dict:
        """POST /api/token: {keyId, keySecret} -> {token}; 404 when the server runs without auth (as OSS does)."""
        if self.tokens is None:
            raise NotFoundError("No endpoint POST /api/token: this server runs without authentication")
        key_id, key_secret = request.get("keyId"), request.get("keySecret")
        for field, value in (("keyId", key_id), ("keySecret", key_secret)):
            if not isinstance(value, str) or not value:
                raise bad_request(field, "must be a non-empty string")
        return {"token": self.tokens.issue(key_id, key_secret)}

    def health(self) -> dict:
        """GET /health: the server is up (there is nothing else to check)."""
        return {"healthResults": [], "suppressedHealthResults": [], "healthy": True}

    def api_docs(self) -> dict:
        """GET /api-docs: the OpenAPI document of what this server serves."""
        return self._api_docs()
