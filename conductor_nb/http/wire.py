"""Values on the wire: Python results and requests to Conductor's JSON, and JSON back to models by type."""

from __future__ import annotations

import enum
import typing
from typing import Any

from ..models import Model, SearchResult
from .endpoints import SearchOf


def to_json(value: Any) -> Any:
    """Models to their camelCase JSON (nulls omitted, as Jackson's NON_NULL does), enums to their values."""
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def read(tp: Any, data: Any) -> Any:
    """JSON as the given type: a model, `list[X]`, `dict[str, X]`, a SearchOf, or anything else as it is."""
    if data is None:
        return None
    if isinstance(tp, SearchOf):
        result = SearchResult.from_dict(data)
        result.results = [read(tp.item, r) for r in result.results or []]
        return result
    if isinstance(tp, type) and issubclass(tp, Model):
        return tp.from_dict(data)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list and args and isinstance(data, list):
        return [read(args[0], item) for item in data]
    if origin is dict and args and isinstance(data, dict):
        return {key: read(args[1], item) for key, item in data.items()}
    return data
