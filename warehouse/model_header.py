"""The header of a SQL model or check, parsed once: what kind of object it makes, its grain and key,
how it is partitioned for incremental builds, and (for a check) its severity.

One dialect (``sql/README.md``): the file's leading ``--`` comment block, where a line
``-- <field>: <value>`` sets a field and any other line is prose. Fields:

``materialized: table|view``  what a mart becomes (default table; staging models are temp views)
``grain: …``                  one row per what, in words (may go on over indented comment lines)
``key: a, b, c``              the columns that identify a row (continued on the next comment line
                              while it ends with a comma); a uniqueness check is generated from it
``nullable: a, b``            key columns that may be null by design (every other key column gets a
                              generated not-null check)
``incremental: year``         rebuilt by calendar year (``left(period_key, 4)``) in an incremental build
``lookback: N year(s)``       a year's rows read the N years before it (a comparison with last December)
``severity: error|warn``      a check: does a failure block publishing
``joins: as written``         run the model's joins in the order the SQL writes them, each right side
                              the hash table (DuckDB's join-order optimizer off for this one model)

Why one parser: the runner, the incremental engine and the checks each read these lines with a regular
expression of their own, in three spellings; a field now means the same wherever it is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_FIELD_RE = re.compile(r"^--\s*(?P<field>[a-z][a-z ]*[a-z]):\s*(?P<value>.*)$")
_IDENT_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_CONTINUED_RE = re.compile(r"^--\s{2,}\S")  # an indented comment line: the field above goes on
FIELDS = ("materialized", "grain", "key", "nullable", "incremental", "lookback", "severity", "joins")


class HeaderError(ValueError):
    """A header field with a value it cannot have; the message names the file."""


@dataclass(frozen=True)
class Header:
    materialized: str | None = None  # "table" | "view"; None: the layer's default
    grain: str | None = None
    key: tuple[str, ...] | None = None
    nullable: tuple[str, ...] = ()
    incremental: bool = False
    lookback_years: int = 0
    severity: str | None = None  # checks only: "error" | "warn"
    joins_as_written: bool = False


def leading_comments(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        lines.append(stripped)
    return lines


def parse_header(text: str, path: Path) -> Header:
    """The header of the SQL ``text`` read from ``path`` (named in every error)."""
    lines = leading_comments(text)
    values: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = _FIELD_RE.match(lines[i])
        i += 1
        if not m or m["field"] not in FIELDS:
            continue
        value = m["value"].strip()
        if m["field"] in ("key", "nullable"):
            while value.endswith(",") and i < len(lines) and not _FIELD_RE.match(lines[i]):
                value += " " + lines[i][2:].strip()
                i += 1
        elif m["field"] == "grain":  # prose: continues on the indented comment lines below it
            while i < len(lines) and _CONTINUED_RE.match(lines[i]) and not _FIELD_RE.match(lines[i]):
                value += " " + lines[i][2:].strip()
                i += 1
            value = value.rstrip(".")
        if m["field"] in values:
            raise HeaderError(f"{path}: the header sets {m['field']!r} twice")
        values[m["field"]] = value
    header = Header(
        materialized=_choice(values, "materialized", ("table", "view"), path),
        grain=values.get("grain") or None,
        key=_key(values.get("key"), path),
        nullable=_key(values.get("nullable"), path) or (),
        incremental=_choice(values, "incremental", ("year",), path) == "year",
        lookback_years=_lookback(values.get("lookback"), path),
        severity=_choice(values, "severity", ("error", "warn"), path),
        joins_as_written=_choice(values, "joins", ("as written",), path) == "as written",
    )
    stray = [c for c in header.nullable if c not in (header.key or ())]
    if stray:
        raise HeaderError(f"{path}: 'nullable' names {stray}, which are not key columns")
    return header


def _choice(values: dict[str, str], field: str, allowed: tuple[str, ...], path: Path) -> str | None:
    value = values.get(field)
    if value is None:
        return None
    if value.lower() not in allowed:
        raise HeaderError(f"{path}: '{field}: {value}' is not one of {', '.join(allowed)}")
    return value.lower()


def _key(value: str | None, path: Path) -> tuple[str, ...] | None:
    if value is None:
        return None
    cols = tuple(c.strip() for c in value.split(","))
    bad = [c for c in cols if not _IDENT_RE.fullmatch(c)]
    if bad:
        raise HeaderError(
            f"{path}: the key header names {bad}; expected column names, e.g. 'key: unit_code, period_key'"
        )
    return cols


def _lookback(value: str | None, path: Path) -> int:
    if value is None:
        return 0
    m = re.fullmatch(r"(\d+)\s*years?", value.strip())
    if not m:
        raise HeaderError(f"{path}: 'lookback: {value}' is not a number of years, e.g. 'lookback: 1 year'")
    return int(m.group(1))
