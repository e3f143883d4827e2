"""Reading a request: parameters by their declared type and JSON bodies checked field by field against the
models, coercing scalars as Jackson does; every problem is a 400 naming the field."""

from __future__ import annotations

import functools
import json
import types
import typing
from typing import Any, Optional

from ..errors import BadRequestError, ValidationError, bad_request
from ..http.endpoints import Body, Param
from ..http.wire import read
from ..models import Model

JAVA_LONG_MIN, JAVA_LONG_MAX = -2**63, 2**63 - 1
TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off"}


def param(spec: Param, values: Optional[list[str]]) -> Any:
    """A path or query parameter's value from its raw strings (None or empty: its default)."""
    if spec.type is list:
        return [item for value in values or [] for item in value.split(",") if item]
    if not values or (values[0] == "" and spec.type is not str):
        return spec.default
    try:
        return _SCALARS[spec.type](values[0])
    except OverflowError as e:
        raise bad_request(spec.name, str(e), values[0]) from None
    except (TypeError, ValueError):
        raise bad_request(spec.name, f"must be {_NAMES[spec.type]}", values[0]) from None


def body(spec: Body, raw: bytes, content_type: str) -> Any:
    """The request body as the Python value its endpoint takes."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("body", "must be UTF-8 text") from None
    if spec.type is str:
        return _text_body(text, content_type)
    if not text.strip():
        if spec.required:
            raise bad_request("body", "required request body is missing")
        return {} if spec.type is dict else None
    try:
        value = json.loads(text)
    except ValueError as e:
        raise BadRequestError(f"JSON parse error: {e}",
                              validation_errors=[ValidationError("body", f"malformed JSON: {e}")]) from None
    if value is None and spec.required:
        raise bad_request("body", "required request body is missing")
    return read(spec.type, check(spec.type, value, ""))


def _text_body(text: str, content_type: str) -> str:
    """A plain-text body; a JSON string is unquoted (the official SDK sends task logs as JSON strings)."""
    if "json" in content_type:
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if isinstance(value, str):
            return value
    return text


def check(tp: Any, value: Any, path: str) -> Any:
    """`value` checked against type `tp` (models field by field), scalars coerced; BadRequestError names the path."""
    if value is None:
        return None
    tp = unwrap(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(tp, type) and issubclass(tp, Model):
        fields = field_types(tp)
        return {key: check(fields[key], item, _join(path, key)) if key in fields else item
                for key, item in _expect(dict, value, path).items()}
    if tp is list or origin is list:
        item_type = args[0] if args else Any
        return [check(item_type, item, f"{path}[{i}]") for i, item in enumerate(_expect(list, value, path))]
    if tp is dict or origin is dict:
        item_type = args[1] if args else Any
        return {key: check(item_type, item, _join(path, key)) for key, item in _expect(dict, value, path).items()}
    coerce = _SCALARS.get(tp)
    if coerce is None:
        return value
    try:
        return coerce(value)
    except OverflowError as e:
        raise bad_request(path or "body", str(e), value) from None
    except (TypeError, ValueError):
        raise bad_request(path or "body", f"must be {_NAMES[tp]}", value) from None


def _expect(container: type, value: Any, path: str) -> Any:
    if not isinstance(value, container):
        raise bad_request(path or "body", f"must be {_NAMES[container]}", value)
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def unwrap(tp: Any) -> Any:
    """Optional[X] -> X; a union of several types -> Any."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return inner[0] if len(inner) == 1 else Any
    return tp


@functools.lru_cache(maxsize=None)
def field_types(cls: type) -> dict[str, Any]:
    """JSON field name -> declared type, for a model class."""
    hints = typing.get_type_hints(cls)
    return {name: hints.get(attr, Any) for attr, name in cls._fields_json}


def _int(value: Any) -> int:
    """An integer in Java's long range (what Conductor's parameters and fields hold)."""
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, float) and not value.is_integer():
        raise ValueError
    number = int(value)
    if not JAVA_LONG_MIN <= number <= JAVA_LONG_MAX:
        raise OverflowError(f"must be an integer from {JAVA_LONG_MIN} to {JAVA_LONG_MAX}")
    return number


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError
    return float(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise ValueError


def _str(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise TypeError
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_SCALARS = {str: _str, int: _int, float: _float, bool: _bool}
_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", dict: "an object",
          list: "an array"}
