"""Strict conversion between the project dataclasses and JSON-compatible dicts.

The project file is user data that may be edited by hand or by a hostile party, so loading checks
every field against the dataclass type hints and reports the first problem with its JSON path
(``segments[3].startTime: expected a number, got "abc"``). JSON keys are camelCase, as in the
pipeline contracts; Python attributes are snake_case.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

T = TypeVar("T")

#: Numbers above this are rejected. It must hold file sizes (bytes) and modification times (Unix
#: seconds, 1.8e9 in 2027) that MediaInfo stores, so it is far above any time on a media timeline.
MAX_NUMBER = 1e13
#: Strings longer than this are rejected: a subtitle is short and an embedding is a list of numbers.
MAX_STRING = 100_000
MAX_ITEMS = 1_000_000


class SchemaError(ValueError):
    """A value does not fit the schema; `where` is its JSON path."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where or '(document)'}: {problem}")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@cache
def _field_keys(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, camel(f.name)) for f in dataclasses.fields(cls))


def to_dict(obj: Any) -> Any:
    """Dataclasses to dicts with camelCase keys; lists and dicts recursively; floats kept finite."""
    if obj is None or isinstance(obj, str | bool | int):
        return obj
    if hasattr(type(obj), "__dataclass_fields__"):
        return {key: to_dict(getattr(obj, name)) for name, key in _field_keys(type(obj))}
    if isinstance(obj, list | tuple):
        return [to_dict(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): to_dict(value) for key, value in obj.items()}
    if isinstance(obj, float) and not math.isfinite(obj):
        raise SchemaError("", f"cannot store the non-finite number {obj}")
    return obj


def from_dict(cls: type[T], data: Any, where: str = "") -> T:
    """Build `cls` from `data`, validating every field; unknown keys are an error."""
    return _convert(cls, data, where)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if value is None:
            if type(None) in options:
                return None
            raise SchemaError(where, "must not be null")
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, where)
            except SchemaError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            choices = ", ".join(map(repr, allowed))
            raise SchemaError(where, f"must be one of {choices}, got {_describe(value)}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise SchemaError(where, f"expected a list, got {_describe(value)}")
        if len(value) > MAX_ITEMS:
            raise SchemaError(where, f"has {len(value)} items, more than the {MAX_ITEMS} allowed")
        (item_type,) = get_args(tp)
        return [_convert(item_type, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise SchemaError(where, f"expected an object, got {_describe(value)}")
        key_type, value_type = get_args(tp)
        return {
            _convert(key_type, key, f"{where}.{key}"): _convert(value_type, item, f"{where}.{key}")
            for key, item in value.items()
        }
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(tp, value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise SchemaError(where, f"expected true or false, got {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(where, f"expected a whole number, got {_describe(value)}")
        if abs(value) > MAX_NUMBER:
            raise SchemaError(where, f"the number {value} is out of range")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaError(where, f"expected a number, got {_describe(value)}")
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise SchemaError(where, f"the number {value} is out of range")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise SchemaError(where, f"expected text, got {_describe(value)}")
        if len(value) > MAX_STRING:
            raise SchemaError(where, f"text of {len(value)} characters is too long")
        return value
    raise SchemaError(where, f"unsupported type {tp!r}")


def _convert_dataclass(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise SchemaError(where, f"expected an object, got {_describe(value)}")
    hints = _hints(cls)
    fields = {camel(f.name): f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise SchemaError(where, f"unknown field {unknown[0]!r}")
    kwargs = {}
    for key, field in fields.items():
        path = f"{where}.{key}" if where else key
        if key in value:
            kwargs[field.name] = _convert(hints[field.name], value[key], path)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise SchemaError(path, "is missing")
    try:
        return cls(**kwargs)
    except ValueError as exc:  # __post_init__ range checks
        raise SchemaError(where, str(exc)) from None
