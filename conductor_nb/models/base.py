"""The model base: snake_case attributes in Python, camelCase JSON on the wire, unknown fields kept.

Every Conductor model is a dataclass decorated with `@model`. `from_dict` reads Conductor's JSON (nested models
included) and `to_dict` writes it back the way Jackson does (null fields omitted), so a round trip through a newer
server's JSON loses nothing: fields this package does not know are stored in `extra` and sent back.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from typing import Any, Callable, ClassVar

_CAMEL_BOUNDARY = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """`reference_task_name` -> `referenceTaskName`."""
    return _CAMEL_BOUNDARY.sub(lambda m: m.group(1).upper(), name)


def json_name(name: str) -> dict:
    """Field metadata for a JSON name that is not the camelCase of the attribute."""
    return {"json": name}


def _identity(value: Any) -> Any:
    return value


def _reader(tp: Any) -> Callable[[Any], Any]:
    """Build a function turning JSON for type `tp` into Python (models get from_dict; the rest passes through)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _reader(inner[0]) if len(inner) == 1 else _identity
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        read = _reader(item)
        if read is _identity:
            return _identity
        return lambda v: [read(x) for x in v] if isinstance(v, list) else v
    if origin is dict:
        _, item = typing.get_args(tp) or (str, Any)
        read = _reader(item)
        if read is _identity:
            return _identity
        return lambda v: {k: read(x) for k, x in v.items()} if isinstance(v, dict) else v
    if isinstance(tp, type) and issubclass(tp, Model):
        return lambda v: tp.from_dict(v) if isinstance(v, dict) else v
    return _identity


def _write(value: Any) -> Any:
    """Python -> JSON-ready value: models to dicts, enums to their values, containers recursively."""
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _write(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_write(v) for v in value]
    return value


class Model:
    """Common behaviour of the models; subclasses are made with `@model`."""

    _fields_json: ClassVar[tuple[tuple[str, str], ...]] = ()  # (attribute, json name)

    extra: dict

    @classmethod
    def from_dict(cls, data: dict | None):
        """Build the model from Conductor's JSON (camelCase keys); unknown keys are kept in `extra`."""
        if data is None:
            return None
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}.from_dict expects a dict, got {type(data).__name__}")
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        readers = cls.__dict__.get("_readers") or _bind_readers(cls)
        for key, value in data.items():
            entry = readers.get(key)
            if entry is None:
                extra[key] = value
            else:
                attr, read = entry
                kwargs[attr] = read(value) if value is not None else None
        obj = cls(**kwargs)
        if extra:
            obj.extra = extra
        return obj

    def to_dict(self) -> dict:
        """Conductor's JSON for this model: camelCase keys, null fields omitted, unknown fields restored."""
        out: dict[str, Any] = {}
        for attr, name in self._fields_json:
            value = getattr(self, attr)
            if value is not None:
                out[name] = _write(value)
        if self.extra:
            for key, value in self.extra.items():
                out.setdefault(key, value)
        return out


def model(cls: type) -> type:
    """Class decorator: make `cls` a keyword-friendly dataclass model with camelCase JSON names."""
    cls = dataclasses.dataclass(cls)
    cls._fields_json = tuple(
        (f.name, f.metadata.get("json", camel(f.name))) for f in dataclasses.fields(cls) if f.name != "extra"
    )
    return cls


def _bind_readers(cls: type) -> dict:
    """Build (once, on first use, when forward references resolve) the JSON name -> (attribute, reader) table."""
    hints = typing.get_type_hints(cls)
    names = dict(cls._fields_json)
    cls._readers = {names[attr]: (attr, _reader(hints.get(attr, Any))) for attr in names}
    return cls._readers


def extra_field() -> Any:
    """The `extra` field every model ends with: unknown JSON fields, kept for the round trip."""
    return dataclasses.field(default_factory=dict, repr=False, compare=False)
