"""A server's answer as the HTTP client reads it: status, reason and the whole body."""

from __future__ import annotations

import dataclasses
import json
from typing import Any


@dataclasses.dataclass
class Response:
    """A server's answer, read whole."""

    status_code: int
    reason: str
    content: bytes

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON (ValueError if it is not)."""
        return json.loads(self.content)
