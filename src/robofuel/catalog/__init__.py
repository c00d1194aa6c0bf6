"""The catalog: SQL index of the lake (SQLite in the lake by default, PostgreSQL by URL)."""

from robofuel.catalog.db import Catalog, StepKey
from robofuel.catalog.query import parse_where

__all__ = ["Catalog", "StepKey", "parse_where"]
