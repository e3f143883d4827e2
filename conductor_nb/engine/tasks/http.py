"""HTTP: call a URL with Conductor's http_request shape; 2xx completes, anything else fails."""

from __future__ import annotations

import json

from ...models import Task, TaskResult, TaskStatus
from .base import TaskKind, result_for


class Http(TaskKind):
    type_name = "HTTP"
    runs_in_background = True  # network I/O happens outside the engine lock

    def run(self, task: Task) -> TaskResult:
        import requests

        inputs = task.input_data or {}
        spec = inputs.get("http_request") if isinstance(inputs.get("http_request"), dict) else inputs
        uri, method = spec.get("uri"), str(spec.get("method") or "GET").upper()
        if not uri:
            return result_for(task, TaskStatus.FAILED.value, reason="Missing HTTP URI. See documentation for HttpTask "
                                                                    "for required input parameters")
        accept = spec.get("accept") or "application/json"
        headers = {"Accept": _header(accept), **{k: _header(v) for k, v in (spec.get("headers") or {}).items()}}
        body = spec.get("body")
        data = None
        if body is not None and method not in ("GET", "HEAD"):
            headers.setdefault("Content-Type", spec.get("contentType") or "application/json")
            data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        timeouts = (int(spec.get("connectionTimeOut") or 3000) / 1000, int(spec.get("readTimeOut") or 3000) / 1000)
        try:
            response = requests.request(method, uri, headers=headers, data=data, timeout=timeouts)
        except requests.RequestException as e:
            return result_for(task, TaskStatus.FAILED.value, {"response": str(e)}, str(e))
        output = {"response": {
            "body": _body(response), "statusCode": response.status_code,
            "headers": {k: [v] for k, v in response.headers.items()}, "reasonPhrase": response.reason,
        }}
        if 200 <= response.status_code < 300:
            status = TaskStatus.IN_PROGRESS.value if task.workflow_task.async_complete else TaskStatus.COMPLETED.value
            return result_for(task, status, output)
        return result_for(task, TaskStatus.FAILED.value, output, response.text or f"HTTP {response.status_code}")


def _header(value) -> str:
    """A header value; a list (as the official SDK's HttpInput sends) is joined the way HTTP joins them."""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _body(response):
    """The response body as Conductor returns it: parsed JSON (a bare number as a double), else the text."""
    if not response.content:
        return None
    try:
        value = response.json()
    except ValueError:
        return response.text
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value
