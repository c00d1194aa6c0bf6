"""``--where`` expressions: a small, safe filter language over the catalog's episode columns.

Grammar: ``clause (("and" | "or") clause)*`` where ``and`` binds tighter than ``or`` and a clause is
``FIELD OP VALUE``. OP is one of ``= == != < <= > >= ~`` (``~`` matches a glob: ``operator ~ 'op-*'``) or ``in``
with a comma-separated list. Values may be quoted with ' or ". Examples::

    verdict = qualified and duration_s > 5
    operator in op-01,op-02 or station ~ 'line-*'
"""

from __future__ import annotations

import math
import re
from typing import Any

import sqlalchemy as sa

from robofuel.catalog.db import QUERYABLE, episodes
from robofuel.errors import InputError

_TOKEN = re.compile(r"""\s*(?:(?P<q>'[^']*'|"[^"]*")|(?P<op><=|>=|==|!=|=|<|>|~)|(?P<w>[^\s<>=!~'"]+))""")
_NUMERIC = {"idx", "duration_s", "streams", "findings", "min_confidence"}
_BOOLEAN = {"synthetic"}


def _tokens(expr: str) -> list[str]:
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            raise InputError(f"cannot parse {expr[pos:]!r}")
        out.append(m.group(0).strip())
        pos = m.end()
    return out


def _value(token: str, field: str) -> Any:
    if token[:1] in "'\"":
        token = token[1:-1]
    if field in _BOOLEAN:
        if token.lower() not in ("true", "false"):
            raise InputError(f"{field} is true or false, got {token!r}")
        return token.lower() == "true"
    if field in _NUMERIC:
        try:
            number = float(token)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise InputError(f"{field} needs a number, got {token!r}")
        return number
    return token


def _clause(field: str, op: str, raw: str) -> sa.ColumnElement[bool]:
    if field not in QUERYABLE:
        raise InputError(f"unknown field {field!r}; fields: {', '.join(QUERYABLE)}")
    col: sa.ColumnElement[Any] = episodes.c[field]
    if field in _BOOLEAN:
        col = sa.func.coalesce(col, False)  # rows made before the column: false
    if op == "in":
        if raw[:1] in "'\"":
            raw = raw[1:-1]
        return col.in_([_value(v, field) for v in raw.split(",") if v])
    value = _value(raw, field)
    ops: dict[str, Any] = {
        "=": col.__eq__,
        "==": col.__eq__,
        "!=": col.__ne__,
        "<": col.__lt__,
        "<=": col.__le__,
        ">": col.__gt__,
        ">=": col.__ge__,
    }
    if op == "~":
        like = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return col.like(like.replace("*", "%").replace("?", "_"), escape="\\")
    if op not in ops:
        raise InputError(f"unknown operator {op!r}")
    result: sa.ColumnElement[bool] = ops[op](value)
    return result


def parse_where(expr: str | None, flag: str = "--where") -> sa.ColumnElement[bool] | None:
    """Turn a ``--where`` expression into a SQLAlchemy condition (None for an empty expression); errors name
    ``flag``, the option the user gave the expression with."""
    if not expr or not expr.strip():
        return None
    try:
        return _parse(_tokens(expr))
    except InputError as exc:
        raise InputError(f"{flag}: {exc}") from None


def _parse(tokens: list[str]) -> sa.ColumnElement[bool]:
    ors: list[list[sa.ColumnElement[bool]]] = [[]]
    i = 0
    while i < len(tokens):
        if len(tokens) - i < 3:
            raise InputError(f"incomplete clause {' '.join(tokens[i:])!r} (expected FIELD OP VALUE)")
        field, op, value = tokens[i], tokens[i + 1].lower(), tokens[i + 2]
        ors[-1].append(_clause(field, op, value))
        i += 3
        if i < len(tokens):
            joiner = tokens[i].lower()
            if joiner not in ("and", "or"):
                raise InputError(f"expected 'and' or 'or', got {tokens[i]!r}")
            if joiner == "or":
                ors.append([])
            i += 1
            if i == len(tokens):
                raise InputError(f"incomplete clause after {tokens[i - 1]!r} (expected FIELD OP VALUE)")
    return sa.or_(*[sa.and_(*group) for group in ors])
