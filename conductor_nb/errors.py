"""One exception hierarchy for both homes: the embedded engine raises these, and HTTP errors map onto them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional


@dataclass
class ValidationError:
    """One problem with a request: where (a field path such as `tasks[0].name`) and what."""

    path: str
    message: str
    invalid_value: Any = None

    def to_dict(self) -> dict:
        out = {"path": self.path, "message": self.message}
        if self.invalid_value is not None:
            out["invalidValue"] = self.invalid_value
        return out


class ConductorError(Exception):
    """Base of every error conductor_nb raises for a Conductor call; `status` is the HTTP status it maps to."""

    status = 500
    retryable = False

    def __init__(self, message: str, *, validation_errors: Optional[list[ValidationError]] = None):
        super().__init__(message)
        self.message = message
        self.validation_errors = list(validation_errors or [])

    def to_dict(self, instance: Optional[str] = None) -> dict:
        """Conductor's ErrorResponse body for this error; a server names itself in `instance` (its host name)."""
        body: dict[str, Any] = {"status": self.status, "message": self.message}
        if instance is not None:
            body["instance"] = instance
        body["retryable"] = self.retryable
        if self.validation_errors:
            body["validationErrors"] = [v.to_dict() for v in self.validation_errors]
        return body


class BadRequestError(ConductorError):
    """The request is invalid (HTTP 400); `validation_errors` names each field and its problem."""

    status = 400


class AuthError(ConductorError):
    """Missing, invalid or expired credentials (HTTP 401/403)."""

    status = 401


class NotFoundError(ConductorError):
    """No such workflow, task or definition (HTTP 404)."""

    status = 404


class ConflictError(ConductorError):
    """The request conflicts with the current state (HTTP 409), e.g. a definition that already exists."""

    status = 409


class ServerError(ConductorError):
    """The server could not do what was asked (HTTP 500), including operations invalid in the current state."""

    status = 500


def bad_request(path: str, message: str, invalid_value: Any = None) -> BadRequestError:
    """A BadRequestError about one field."""
    return BadRequestError(f"{path}: {message}", validation_errors=[ValidationError(path, message, invalid_value)])
