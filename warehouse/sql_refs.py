"""Which relations a SQL model or check reads, from DuckDB's grammar as sqlglot parses it.

Why a parser and not a regular expression: a regex for ``from``/``join`` misses a table read only
through ``unpivot t on …`` or ``pivot t on …`` (``sql/checks/score_le_max_score.sql`` reads
``fct_unit_score`` that way), so the model would be ordered before what it reads, and an incremental
build would not know the check depends on it. The parse also catches a model that reads a table no
model or seed makes: a build error naming the model, before anything runs.
"""

from __future__ import annotations

import functools
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

_LANDING_RE = re.compile(r"\{\{\s*landing\('([a-z_]+)'\)\s*\}\}")
LANDING_PREFIX = "__landing__"


class SqlParseError(ValueError):
    """A SQL text that DuckDB's grammar (as sqlglot reads it) does not accept."""


@functools.lru_cache(maxsize=256)
def table_refs(sql: str) -> frozenset[str]:
    """The lower-case names of the tables and views ``sql`` reads, its own CTE names left out.

    A staging model's ``{{ landing('x') }}`` placeholder reads as ``__landing__x`` (not a relation of
    the build: the runner substitutes the landing files for it)."""
    text = _LANDING_RE.sub(lambda m: LANDING_PREFIX + m.group(1), sql)
    try:
        trees = sqlglot.parse(text, read="duckdb")
    except SqlglotError as exc:
        raise SqlParseError(str(exc).splitlines()[0]) from None
    tables: set[str] = set()
    ctes: set[str] = set()
    for tree in trees:
        if tree is None:
            continue
        tables.update(t.name.lower() for t in tree.find_all(exp.Table) if t.name)
        ctes.update(c.alias_or_name.lower() for c in tree.find_all(exp.CTE))
    return frozenset(tables - ctes)
