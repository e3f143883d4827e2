"""From a task's input to a worker function's arguments, dataclasses included."""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from typing import Any, Callable

from ..models import Task


class InputError(ValueError):
    """The task's input cannot be turned into the function's arguments (a missing or malformed field)."""


def binder(func: Callable) -> Callable[[Task], dict]:
    """Inspect `func` once; return a function from a Task to its keyword arguments."""
    signature = inspect.signature(func)
    hints = typing.get_type_hints(func)
    params = [p for p in signature.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def bind(task: Task) -> dict:
        data = task.input_data or {}
        kwargs = {}
        for p in params:
            hint = hints.get(p.name, Any)
            if hint is Task:
                kwargs[p.name] = task
            elif p.name in data:
                kwargs[p.name] = convert(data[p.name], hint, p.name)
            elif p.default is not p.empty:
                kwargs[p.name] = p.default
            else:
                kwargs[p.name] = None
        return kwargs

    return bind


def convert(value: Any, hint: Any, path: str) -> Any:
    """Build dataclasses (nested, in lists and dicts) from JSON; other values pass through unchanged."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return convert(value, inner[0], path) if len(inner) == 1 else value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(hint) or (Any,)
        return [convert(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict and isinstance(value, dict):
        _, item = typing.get_args(hint) or (str, Any)
        return {k: convert(v, item, f"{path}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _dataclass(value, hint, path)
    return value


def _dataclass(value: Any, cls: type, path: str) -> Any:
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise InputError(f"input '{path}' must be an object for {cls.__name__}, got {type(value).__name__}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.name in value:
            kwargs[f.name] = convert(value[f.name], hints.get(f.name, Any), f"{path}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise InputError(f"input '{path}' is missing field '{f.name}' required by {cls.__name__}")
    return cls(**kwargs)
