"""HTTP: call a URL with Conductor's http_request shape; 2xx completes, anything else fails."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from ...models import Task, TaskResult, TaskStatus
from .base import TaskKind, result_for


_NEWLINES = re.compile(r"[\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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
            return _failed(task, f'I/O error on {method} request for "{uri}": {_io_error(uri, e)}')
        if not 200 <= response.status_code < 300:
            return _failed(task, f'{response.status_code} {response.reason} on {method} request for "{uri}": '
                                 f'{_body_text(response)}')
        output = {"response": {
            "body": _body(response), "statusCode": response.status_code,
            "headers": {k: [v] for k, v in response.headers.items()}, "reasonPhrase": response.reason,
        }}
        status = TaskStatus.IN_PROGRESS.value if task.workflow_task.async_complete else TaskStatus.COMPLETED.value
        return result_for(task, status, output)


def _failed(task: Task, message: str) -> TaskResult:
    """A failed call, worded as Conductor's HTTP task words it (its HTTP client's exception text): the output's
    `response` is the exception, the reason says the task could not be invoked."""
    error = f"java.lang.Exception: {message}"
    return result_for(task, TaskStatus.FAILED.value, {"response": error},
                      f"Failed to invoke HTTP task due to: {error}")


def _io_error(uri: str, error) -> str:
    """What the call failed on, as Conductor's HTTP client says it."""
    import requests

    parts = urlsplit(uri)
    target = f"{parts.scheme}://{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if isinstance(error, requests.ConnectTimeout):
        return f"Connect to {target} failed: Connect timed out"
    if isinstance(error, requests.ReadTimeout):
        return "Read timed out"
    if isinstance(error, requests.ConnectionError) and "refused" in str(error).lower():
        return f"Connect to {target} failed: Connection refused"
    return str(error)


def _body_text(response) -> str:
    """An error response's body in the exception's text: quoted, line breaks as <EOL>, control characters as ?;
    `[no body]` when it has none."""
    if not response.content:
        return "[no body]"
    text = _NEWLINES.sub("<EOL>", response.content.decode(response.encoding or "utf-8", errors="replace"))
    return '"' + _CONTROL.sub("?", text) + '"'


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
