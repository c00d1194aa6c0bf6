"""Config files and tables, one way: a pydantic model per table, and its errors in robofuel's message form.

Every config robofuel reads (the ingest mapping file, the QC thresholds, the step configs) is a :class:`ConfigModel`:
typed fields (units in the names and descriptions), defaults, and any key the model does not know is an error.
:func:`validate` checks a table against its model; a :class:`pydantic.ValidationError` becomes an
:class:`~robofuel.errors.InputError` (exit code 2) whose message names the file, the key path and what to do::

    map.toml: streams[1].unit: must be a string, got 3; write e.g. unit = "rad"

Key paths join table keys with ``.`` and count array items from 0 (``streams[1]``). What to write comes from the
field's ``example`` (``Field(json_schema_extra={"example": ...})``), else from its default; a check across fields
raises :func:`problem` with its own key and fix.
"""

from __future__ import annotations

import copy
import inspect
import json
import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from robofuel.errors import InputError

#: What a value of each pydantic type check must be, in words.
_EXPECTED = {
    "string_type": "a string",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array",
    "tuple_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "finite_number": "a finite number",
}
_TAGS = frozenset({"str", "int", "float", "bool", "none"})
_TAG_PREFIXES = ("constrained-", "function-", "json-or-python")
_BOUND = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}


class ConfigModel(BaseModel):
    """Base of every config table: strict types as TOML gives them (an int is accepted for a float), unknown keys
    are errors, and a loaded config is not changed afterwards."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def problem(key: str, what: str, fix: str = "") -> PydanticCustomError:
    """An error for a check across fields or of one value (raise it in a validator): ``key`` relative to the
    validated table (empty for the table or the value itself), what is wrong and what to do (default: the field's
    example)."""
    return PydanticCustomError("robofuel", "{what}", {"what": what, "key": key, "fix": fix})


def defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The model's defaults as a plain dict (fresh copies of lists and dicts)."""
    return {key: copy.deepcopy(f.get_default(call_default_factory=True)) for key, f in keys(model).items()}


def keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The model's fields by the key a file writes (the alias where there is one: ``from`` for ``from_``)."""
    return {f.alias or name: f for name, f in model.model_fields.items()}


def validate(model: type[BaseModel], data: object, where: str, prefix: str = "") -> Any:
    """``data`` validated against ``model``; :class:`InputError` in robofuel's form on the first error.

    ``where`` names the file (or the config's place: ``step clean``); ``prefix`` is the table's key path inside
    it (``split``, ``thresholds``)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, model, where, prefix) from None


def config_error(exc: ValidationError, model: type[BaseModel], where: str, prefix: str = "") -> InputError:
    """The first error of ``exc`` as ``WHERE: KEY: what is wrong; what to do``."""
    errors = exc.errors(include_url=False)
    err, loc = errors[0], _untagged(errors[0]["loc"])
    same = [(e, _untagged(e["loc"])) for e in errors if _untagged(e["loc"])[: len(loc)] == loc]
    # a union's members: the one that got furthest (its type matched, a constraint did not)
    err, loc = max(same, key=lambda pair: (len(pair[1]), pair[0]["type"] not in _EXPECTED))
    ctx = err.get("ctx") or {}
    parent, field, name = _walk(model, loc)
    if err["type"] == "robofuel":
        loc += [p for p in str(ctx.get("key", "")).split(".") if p]
        return InputError(f"{where}: {key_path(prefix, loc)}: {ctx['what']}; {ctx['fix'] or _fix(field, name)}")
    kinds = {e["type"] for e, at in same if at == loc and e["type"] in _EXPECTED}
    what = _what(err, loc)
    if len(kinds) > 1:  # a value of none of a union's types
        what = f"must be {_one_of(kinds)}, got {_show(err.get('input'))}"
    if err["type"] == "extra_forbidden":
        fix = f"use one of: {', '.join(_own_first(parent))}" if parent is not None else "leave it out"
    else:
        fix = _fix(field, name)
    return InputError(f"{where}: {key_path(prefix, loc)}: {what}; {fix}")


def _untagged(loc: tuple[int | str, ...]) -> list[int | str]:
    """A pydantic location without the tags it gives a union's members (``str``, ``list[str]``, ``float``)."""
    return [p for p in loc if not (isinstance(p, str) and (p in _TAGS or "[" in p or p.startswith(_TAG_PREFIXES)))]


def key_path(prefix: str, loc: list[Any] | tuple[Any, ...]) -> str:
    """``a.b[2].c`` from a prefix and a pydantic location (``(top level)`` when both are empty)."""
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "(top level)"


def _what(err: Any, loc: list[Any]) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    got = f", got {_show(value)}"
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in _EXPECTED:
        return f"must be {_EXPECTED[kind]}{got}"
    if kind in _BOUND:
        bound = next(iter(ctx.values()))
        shown = f"{bound:g}" if isinstance(bound, int | float) else str(bound)
        return f"must be a number {_BOUND[kind]} {shown}{got}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}{got}".replace(" or ", ", ")
    if kind == "string_too_short":
        return f"must be a non-empty string{got}"
    if kind == "string_pattern_mismatch":
        return f"must be a string matching {ctx.get('pattern')}{got}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} items{got}"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items{got}"
    return f"{str(err['msg'])[:1].lower()}{str(err['msg'])[1:]}{got}"


def _own_first(model: type[BaseModel]) -> list[str]:
    """The model's keys, its own before those it inherits (a step's keys before the shared sampling ones)."""
    own = inspect.get_annotations(model)
    ordered = sorted(model.model_fields.items(), key=lambda item: item[0] not in own)
    return [f.alias or name for name, f in ordered]


def _one_of(kinds: set[str]) -> str:
    """``a string, a number or an array`` for the expected types of a union's members."""
    words = sorted({_EXPECTED[k] for k in kinds})
    if "a number" in words and "an integer" in words:
        words.remove("an integer")
    return " or ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} or {words[-1]}"


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list) and len(repr(value)) > 40:
        return "an array"
    return repr(value)


def _walk(model: type[BaseModel], loc: list[Any]) -> tuple[type[BaseModel] | None, Any, str]:
    """(the model holding the last key of ``loc``, the field info and name of the last model field on the way)."""
    current: type[BaseModel] | None = model
    parent, field, name = model, None, ""
    for part in loc:
        if current is None:
            break
        if isinstance(part, str) and part in keys(current):
            parent, field, name = current, keys(current)[part], part
            current = _model_in(field.annotation)
        elif isinstance(part, str):
            parent = current
    return parent, field, name


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The config model inside a field's type (``Model``, ``list[Model]``, ``dict[str, Model]``, ``Model | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, dict, tuple, Union, types.UnionType):
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _fix(field: FieldInfo | None, key: str) -> str:
    """``write e.g. KEY = EXAMPLE`` from the field's example or default."""
    if field is None:
        return "see the documentation of this file"
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, Mapping) else {}
    if "fix" in extra:
        return str(extra["fix"])
    if "example" in extra:
        return f"write e.g. {extra['example']}"
    if field.is_required():
        return f"add {key} ({field.description})" if field.description else f"add {key}"
    default = field.get_default(call_default_factory=True)
    if default is None or default == [] or default == {}:
        return f"{key} is the {field.description}" if field.description else "leave it out"
    return f"write e.g. {key} = {toml_value(default)}"


def toml_value(value: object) -> str:
    """A value as TOML writes it (booleans lower case, strings in double quotes, arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str | int | float):
        return json.dumps(value)
    return repr(value)
