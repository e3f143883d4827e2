"""jq for JSON_JQ_TRANSFORM, run as Conductor's JsonJqTransform runs it: the program over the whole task input.

libjq holds the GIL while it runs and cannot be interrupted, so in-process a runaway program would freeze every
thread of the engine: programs run in the sandbox worker processes, where the time limit kills the worker.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

from .scripting import SandboxError, WorkerPool, WorkerTimedOut

TIMEOUT = 10.0  # seconds


class JqError(Exception):
    """A jq program failed to compile or to run, or ran out of time."""


def transform(query: str, input: dict, *, timeout: float = TIMEOUT) -> tuple[Any, list]:
    """Run the jq program `query` over `input`; return (the first result or None, every result).

    Numbers come back as int when integral and within a Java long, as Conductor's task output has them."""
    try:
        ok, payload = _JQ.call((query, json.dumps(input)), timeout)
    except WorkerTimedOut:
        raise JqError(f"jq program timed out after {float(timeout)} s") from None
    except SandboxError as e:
        raise JqError(f"jq failed: {e}") from None
    if not ok:
        raise JqError(payload)
    # libjq prints one result per line; strings escape their newlines (but not U+2028: no splitlines()).
    results = [json.loads(line, parse_int=_java_long) for line in payload.split("\n")] if payload else []
    return (results[0] if results else None), results


def _java_long(text: str) -> int | float:
    value = int(text)
    return value if -(2**63) <= value < 2**63 else float(value)


def _jq() -> Callable[[tuple], tuple[tuple, bool]]:
    """The jq worker's handler: compiled programs are cached, as compiling takes about a millisecond."""
    import jq as libjq

    compiled = functools.lru_cache(maxsize=1000)(libjq.compile)  # Conductor caches 1000 compiled queries too

    def handle(request: tuple) -> tuple[tuple, bool]:
        query, document = request
        try:
            return (True, compiled(query).input_text(document).text()), True
        except ValueError as e:
            return (False, str(e)), True

    return handle


_JQ = WorkerPool(f"{__name__}:_jq")
