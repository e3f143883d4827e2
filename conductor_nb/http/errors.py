"""HTTP error responses mapped to the ConductorError subclasses the embedded engine raises."""

from __future__ import annotations

import re

from ..errors import (
    AuthError,
    BadRequestError,
    ConductorError,
    ConflictError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from .response import Response

BY_STATUS: dict[int, type[ConductorError]] = {
    400: BadRequestError, 401: AuthError, 403: AuthError, 404: NotFoundError, 409: ConflictError,
}


def error_body(response: Response) -> dict:
    """The response's JSON object (Conductor's ErrorResponse, Orkes's auth error), or {}."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_from(response: Response) -> ConductorError:
    """The ConductorError for an error response: its class from the status, its message and field errors from
    the ErrorResponse body."""
    body = error_body(response)
    cls = BY_STATUS.get(response.status_code) or (ServerError if response.status_code >= 500 else BadRequestError)
    message = body.get("message") or response.text.strip() or f"HTTP {response.status_code} {response.reason}"
    problems = [
        ValidationError(_field_path(v.get("path") or ""), v.get("message") or "", v.get("invalidValue"))
        for v in body.get("validationErrors") or [] if isinstance(v, dict)
    ]
    error = cls(message, validation_errors=problems)
    error.status = response.status_code
    if "retryable" in body:
        error.retryable = bool(body["retryable"])
    return error


_METHOD_ARGUMENT = re.compile(r"^[A-Za-z_]\w*\.arg\d+\.?")


def _field_path(path: str) -> str:
    """A validation path as the embedded engine names it: Conductor's server (Spring's method validation) prefixes
    the method and argument, `registerWorkflowDef.arg0.name` or `registerTaskDef.arg0[0].retryCount`; dropped."""
    return _METHOD_ARGUMENT.sub("", path)
