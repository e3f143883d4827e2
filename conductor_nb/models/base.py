"""The model base: snake_case attributes in Python, camelCase JSON on the wire, unknown fields kept.

Every Conductor model is a dataclass decorated with `@model`. `from_dict` reads Conductor's JSON (nested models
included) and `to_dict` writes it back the way Jackson does (null fields omitted), so a round trip through a newer
server's JSON loses nothing: fields this package does not know are stored in `extra` and sent back.
"""

from __future__ import annotations

import dataclasses
import enum
import json
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


_MISSING = object()


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


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _write(value: Any) -> Any:
    """Python -> JSON-ready value: models to dicts, enums to their values, containers copied recursively."""
    kind = value.__class__
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k: v if v.__class__ in _PLAIN else _write(v) for k, v in value.items()}
    if kind is list:
        return [v if v.__class__ in _PLAIN else _write(v) for v in value]
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
        codec = cls.__dict__.get("_codec") or _compile(cls)
        return codec.read(cls, data)

    def to_dict(self) -> dict:
        """Conductor's JSON for this model: camelCase keys, null fields omitted, unknown fields restored."""
        cls = type(self)
        codec = cls.__dict__.get("_codec") or _compile(cls)
        return codec.write(self)

    def to_json(self) -> str:
        """`to_dict()` as compact JSON text, encoded straight from the model's values without copying them first:
        the engine writes every changed task this way, and a task's input or output can be large."""
        return dumps(self)


def _json_default(value: Any) -> Any:
    """What the JSON encoder cannot write itself: models (their fields over the live values) and enums."""
    if isinstance(value, Model):
        cls = type(value)
        return (cls.__dict__.get("_codec") or _compile(cls)).shallow(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# Models hold JSON values: no cycles to look for (a cyclic value still fails, with RecursionError instead of
# ValueError), and the check is a fifth of the encoding's cost.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False, default=_json_default)


def dumps(value: Any) -> str:
    """Compact JSON of JSON values and models (as their `to_dict()`), without copying them first."""
    return _ENCODER.encode(value)


def model(cls: type) -> type:
    """Class decorator: make `cls` a keyword-friendly dataclass model with camelCase JSON names."""
    cls = dataclasses.dataclass(cls)
    cls._fields_json = tuple(
        (f.name, f.metadata.get("json", camel(f.name))) for f in dataclasses.fields(cls) if f.name != "extra"
    )
    return cls


class _Codec:
    """A model class's `read(cls, data)` and `write(obj)`, generated as straight-line code: models are read and
    written on every state change, and a loop over the fields with getattr costs several times as much."""

    def __init__(self, read: Callable[[type, dict], Any], write: Callable[[Any], dict],
                 shallow: Callable[[Any], dict]):
        self.read = read
        self.write = write
        self.shallow = shallow  # the JSON field names over the live values, for to_json's encoder


_SCALAR_HINTS = (str, int, float, bool)


def _compile(cls: type) -> _Codec:
    """Generate (once, on first use, when forward references resolve) the class's reader and writer."""
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    env: dict[str, Any] = {"_write": _write, "_PLAIN": _PLAIN, "_MISSING": _MISSING, "_new": object.__new__,
                           "_DEFAULTS": {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}}
    # Read without __init__ (its 50 keyword arguments cost more than the rest): the defaults, then the data.
    read_lines = ["def read(cls, data):", "    get = data.get", "    obj = _new(cls)", "    kw = obj.__dict__",
                  "    kw.update(_DEFAULTS)"]
    for i, f in enumerate(fields):
        if f.default is dataclasses.MISSING:
            if f.default_factory is dataclasses.MISSING:
                raise TypeError(f"{cls.__name__}.{f.name}: a model's fields need defaults")
            env[f"_f{i}"] = f.default_factory
            read_lines.append(f"    kw[{f.name!r}] = _f{i}()")
    write_lines = ["def write(self):", "    out = {}"]
    shallow_lines = ["def shallow(self):", "    out = {}"]
    for i, (attr, name) in enumerate(cls._fields_json):
        reader = _reader(hints.get(attr, Any))
        read_lines.append(f"    v = get({name!r}, _MISSING)")
        if reader is _identity:
            read_lines.append(f"    if v is not _MISSING: kw[{attr!r}] = v")
        else:
            env[f"_r{i}"] = reader
            read_lines.append(f"    if v is not _MISSING: kw[{attr!r}] = None if v is None else _r{i}(v)")
        write_lines.append(f"    v = self.{attr}")
        shallow_lines += [f"    v = self.{attr}", f"    if v is not None: out[{name!r}] = v"]
        if _unwrap_optional(hints.get(attr, Any)) in _SCALAR_HINTS:
            write_lines.append(f"    if v is not None: out[{name!r}] = v if v.__class__ in _PLAIN else _write(v)")
        else:
            write_lines.append(f"    if v is not None: out[{name!r}] = _write(v)")
    env["_KNOWN"] = frozenset(name for _, name in cls._fields_json)
    read_lines += ["    if not _KNOWN.issuperset(data):",
                   "        kw['extra'] = {k: v for k, v in data.items() if k not in _KNOWN}",
                   *(["    obj.__post_init__()"] if hasattr(cls, "__post_init__") else []),
                   "    return obj"]
    ending = ["    if self.extra:", "        for key, value in self.extra.items(): out.setdefault(key, value)",
              "    return out"]
    source = "\n\n".join("\n".join(lines) for lines in (read_lines, write_lines + ending, shallow_lines + ending))
    exec(source, env)  # noqa: S102 (our own field names)
    cls._codec = _Codec(env["read"], env["write"], env["shallow"])
    return cls._codec


def _unwrap_optional(tp: Any) -> Any:
    """Optional[X] -> X; anything else as it is."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return inner[0] if len(inner) == 1 else tp
    return tp


def extra_field() -> Any:
    """The `extra` field every model ends with: unknown JSON fields, kept for the round trip."""
    return dataclasses.field(default_factory=dict, repr=False, compare=False)
