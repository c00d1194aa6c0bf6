"""``--where`` expressions (robofuel.catalog.query): parsing, and what they select on SQLite and on PostgreSQL.

The selections run against ``sample_catalog`` (tests/catalog/conftest.py, tabled in ``_sample_episodes``), filled
once per backend; ids are listed in start order: a0, a1, b0, b2, b1.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from robofuel.catalog import Catalog, parse_where
from robofuel.catalog.db import QUERYABLE
from robofuel.errors import InputError

ALL = ["ep_a0", "ep_a1", "ep_b0", "ep_b2", "ep_b1"]


def select(catalog: Catalog, expr: str | None) -> list[str]:
    return catalog.episode_ids(parse_where(expr))


def backend_of(catalog: Catalog) -> str:
    return "postgres" if catalog.url.startswith("postgresql") else "sqlite"


@pytest.mark.parametrize("expr", [None, "", "   "])
def test_empty_expression_selects_everything(sample_catalog: Catalog, expr: str | None) -> None:
    assert parse_where(expr) is None
    assert select(sample_catalog, expr) == ALL


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # = == != on text
        ("operator = op-01", ["ep_a0", "ep_b0"]),
        ("operator == op-01", ["ep_a0", "ep_b0"]),
        ("operator != op-01", ["ep_a1", "ep_b2"]),  # SQL: the episode without an operator matches neither
        ("operator = nobody", []),
        ("id = ep_a1", ["ep_a1"]),
        ("recording = " + "b" * 64, ["ep_b0", "ep_b2", "ep_b1"]),
        ("format = lerobot", ["ep_b0", "ep_b2", "ep_b1"]),
        ("device = cam-1,arm-1", ["ep_a0"]),
        ("recording_path = /rec/aaaa.mcap", ["ep_a0", "ep_a1"]),
        # comparisons on text compare strings: ISO days order correctly
        ("day = 2027-01-16", ["ep_b1"]),
        ("day >= 2027-01-15", ALL),
        ("day < 2027-01-16", ["ep_a0", "ep_a1", "ep_b0", "ep_b2"]),
        # numeric fields, integers and floats
        ("duration_s < 5", ["ep_a0", "ep_b2"]),
        ("duration_s <= 4", ["ep_a0", "ep_b2"]),
        ("duration_s > 12", ["ep_b1"]),
        ("duration_s >= 7.5", ["ep_a1", "ep_b0", "ep_b1"]),
        ("duration_s = 0.5", ["ep_b2"]),
        ("duration_s > 1e1", ["ep_a1", "ep_b1"]),
        ("findings > 0", ["ep_a1", "ep_b0", "ep_b2"]),
        ("findings = 0", ["ep_a0", "ep_b1"]),
        ("streams = 1", ["ep_a1", "ep_b2"]),
        ("streams != 0", ["ep_a0", "ep_a1", "ep_b2"]),
        ("idx >= 1", ["ep_a1", "ep_b2", "ep_b1"]),
        ("idx = 1.0", ["ep_a1", "ep_b1"]),
        ("idx=2", ["ep_b2"]),  # no spaces needed around an operator
        ("duration_s>=30", ["ep_b1"]),
        # ~ glob: * any run, ? one character
        ("station ~ 'line-*'", ["ep_a0", "ep_a1", "ep_b0", "ep_b2"]),
        ("station ~ line-?", ["ep_a0", "ep_a1", "ep_b0"]),
        ("operator ~ *-0*", ["ep_a0", "ep_a1", "ep_b0"]),
        ("instruction ~ '*part'", ["ep_a0"]),
        ("task ~ p*", ["ep_a0", "ep_a1", "ep_b0", "ep_b2"]),
        # in: a comma-separated list
        ("operator in op-02,op-10", ["ep_a1", "ep_b2"]),
        ("operator IN op-02", ["ep_a1"]),
        ("idx in 0,2", ["ep_a0", "ep_b0", "ep_b2"]),
        ("verdict in qualified,needs_review,", ["ep_a0", "ep_b0", "ep_b2"]),
        ("operator in nobody,nothing", []),
        # and binds tighter than or; joiners in any case
        ("verdict = qualified or operator = op-02 and duration_s > 10", ["ep_a0", "ep_a1", "ep_b0"]),
        ("duration_s > 5 or operator = op-01 and verdict = rejected", ["ep_a1", "ep_b0", "ep_b1"]),
        ("operator = op-01 and duration_s > 5 or verdict = needs_review", ["ep_b0", "ep_b2"]),
        ("verdict = qualified AND format = mcap", ["ep_a0"]),
        ("verdict = rejected Or verdict = unchecked", ["ep_a1", "ep_b1"]),
        ("task = pick and verdict != rejected and findings > 0", ["ep_b2"]),
        ("operator = op-01 or operator = op-02 or operator = op-10", ["ep_a0", "ep_a1", "ep_b0", "ep_b2"]),
        # quoted values: spaces, the other quote, words that are operators or joiners
        ("site = 'lab a'", ["ep_b0"]),
        ('site = "lab a"', ["ep_b0"]),
        ("instruction = \"put it 'there'\"", ["ep_b2"]),
        ("scene = 'kitchen' and site != 'lab b'", ["ep_b0"]),
        ("operator = 'and'", []),
        ("operator = '<='", []),
        ("operator = ''", []),
    ],
)
def test_where_selects(sample_catalog: Catalog, expr: str, expected: list[str]) -> None:
    assert select(sample_catalog, expr) == expected


@pytest.mark.parametrize("field", QUERYABLE)
def test_every_queryable_field_can_be_filtered_and_grouped(sample_catalog: Catalog, field: str) -> None:
    value = "0" if field in {"idx", "duration_s", "streams", "findings", "min_confidence"} else "x"
    value = "false" if field == "synthetic" else value  # a boolean field takes true or false (else a usage error)
    assert isinstance(select(sample_catalog, f"{field} != {value} or {field} = {value}"), list)
    assert sum(g["episodes"] for g in sample_catalog.group_counts(field)) == len(ALL)


def test_where_combines_with_group_counts(sample_catalog: Catalog) -> None:
    groups = sample_catalog.group_counts("station", parse_where("task = pick"))
    assert [(g["key"], g["episodes"], g["qualified"]) for g in groups] == [
        ("line-1", 1, 1),
        ("line-10", 1, 0),
        ("line-2", 1, 0),
    ]


def test_values_are_bound_parameters_not_sql(sample_catalog: Catalog) -> None:
    assert select(sample_catalog, "operator = \"x' or '1'='1\"") == []
    assert select(sample_catalog, "operator = 'op-01;drop table episodes'") == []
    assert select(sample_catalog, None) == ALL


def test_parse_where_returns_a_sqlalchemy_condition() -> None:
    where = parse_where("operator = op-01 and duration_s > 5 or verdict = qualified")
    assert isinstance(where, sa.ColumnElement)
    sql = str(where.compile(compile_kwargs={"literal_binds": True}))
    assert sql == ("episodes.operator = 'op-01' AND episodes.duration_s > 5.0 OR episodes.verdict = 'qualified'")


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("colour = red", "unknown field 'colour'"),
        ("start_ns > 5", "unknown field 'start_ns'"),  # not queryable
        ("content_hash = x", "unknown field"),
        ("Operator = op-01", "unknown field"),
        ("'operator' = op-01", "unknown field"),
        ("operator", "incomplete clause"),
        ("operator =", "incomplete clause"),
        ("operator = op-01 and station", "incomplete clause"),
        ("= op-01", "incomplete clause"),
        ("duration_s > long", "duration_s needs a number, got 'long'"),
        ("idx = one", "needs a number"),
        ("idx in 1,x", "needs a number"),
        ("findings = 'three'", "needs a number"),
        ("duration_s ~ 4*", "needs a number"),
        ("synthetic = yes", "synthetic is true or false, got 'yes'"),
        ("operator = a xor station = b", "expected 'and' or 'or', got 'xor'"),
        ("operator = a station = b", "expected 'and' or 'or'"),
        ("operator like op-*", "unknown operator 'like'"),
        ("operator is op-01", "unknown operator"),
        ("operator = 'op-01", "cannot parse"),
        ('operator = "op-01', "cannot parse"),
    ],
)
def test_bad_where_expressions_are_input_errors(expr: str, message: str) -> None:
    with pytest.raises(InputError, match="^--where: .*" + re.escape(message)):
        parse_where(expr)


def test_unknown_field_message_lists_the_fields() -> None:
    with pytest.raises(InputError) as err:
        parse_where("colour = red")
    assert all(field in str(err.value) for field in QUERYABLE)


# -- regressions of bugs found by these tests and fixed ---------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Invoking and_\\(\\) without arguments:sqlalchemy.exc.SADeprecationWarning")
@pytest.mark.parametrize("expr", ["operator = op-01 and", "operator = op-01 or", "operator = op-01 OR"])
def test_dangling_joiner_is_an_input_error(expr: str) -> None:
    with pytest.raises(InputError, match="incomplete clause"):
        parse_where(expr)


@pytest.mark.parametrize("expr", ["duration_s < nan", "duration_s < inf", "duration_s > -Infinity"])
def test_non_finite_numbers_are_input_errors(expr: str) -> None:
    with pytest.raises(InputError, match="needs a number"):
        parse_where(expr)


def test_quoted_in_list(sample_catalog: Catalog) -> None:
    assert select(sample_catalog, "operator in 'op-02,op-10'") == ["ep_a1", "ep_b2"]


@pytest.mark.parametrize(("expr", "expected"), [("operator ~ op_01", []), ("station ~ 'line%'", [])])
def test_glob_treats_like_wildcards_literally(sample_catalog: Catalog, expr: str, expected: list[str]) -> None:
    assert select(sample_catalog, expr) == expected


def test_glob_is_case_sensitive_like_equality(sample_catalog: Catalog, request: pytest.FixtureRequest) -> None:
    assert select(sample_catalog, "station = LINE-1") == []
    assert select(sample_catalog, "station ~ LINE-*") == []
