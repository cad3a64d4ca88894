"""Data checks: each ``sql/checks/*.sql`` is a query returning offending rows (none when healthy).

A header line ``-- severity: error|warn`` says whether a failure blocks publishing (``error``) or
is only reported (``warn``: e.g. cross-endpoint disagreement, which the real portal has). Headers are
read by ``warehouse.model_header`` (the dialect is in ``sql/README.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from warehouse.model_header import Header, HeaderError, parse_header

if TYPE_CHECKING:
    from warehouse.models import Model

CHECKS_DIR = Path(__file__).resolve().parents[1] / "sql" / "checks"
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class Check:
    name: str
    severity: str  # error | warn
    sql: str
    path: Path
    header: Header = field(default_factory=Header)


@dataclass(frozen=True)
class CheckResult:
    name: str
    severity: str
    rows: int
    columns: list[str] = field(default_factory=list)
    sample: list[tuple] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.rows == 0

    def describe(self) -> str:
        return f"{self.name} ({self.severity}): {self.rows} offending row{'s' if self.rows != 1 else ''}"


class CheckFailedError(RuntimeError):
    """One or more ``error`` checks returned rows; nothing was published."""

    def __init__(self, failures: list[CheckResult]) -> None:
        self.failures = failures
        names = "; ".join(f.describe() for f in failures)
        super().__init__(f"{len(failures)} error check(s) failed, nothing published: {names}")


class CheckDefinitionError(ValueError):
    """A check file lacks its severity header."""


def load_checks(checks_dir: Path = CHECKS_DIR) -> list[Check]:
    """Every check in ``checks_dir``, by file name; a file without a severity header is an error."""
    out = []
    for path in sorted(checks_dir.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        try:
            header = parse_header(text, path)
        except HeaderError as exc:
            raise CheckDefinitionError(str(exc)) from None
        if header.severity is None:
            raise CheckDefinitionError(f"{path} has no '-- severity: error|warn' header")
        out.append(Check(path.stem, header.severity, text, path, header))
    return out


KEYED_PREFIXES = ("dim_", "fct_", "rpt_")


def key_checks(models: Iterable[Model], have: set[str]) -> list[Check]:
    """Checks generated from each ``dim_*``, ``fct_*`` and ``rpt_*`` model's declared key (its header,
    parsed once at discovery), where no hand-written one of the name exists: ``unique_<model>`` (one
    row per key) and ``not_null_<model>`` (no key column null, bar those the header declares
    ``nullable``). So a duplicated or keyless report row cannot publish; the key is written once."""
    out = []
    for m in sorted(models, key=lambda m: m.name):
        name, path, model = m.name, m.path, m.header
        if m.layer != "marts" or not name.startswith(KEYED_PREFIXES) or model.key is None:
            continue
        head = "-- severity: error\n" + ("-- incremental: year\n" if model.incremental else "")
        header = Header(incremental=model.incremental, severity="error")
        listed = ", ".join(model.key)
        if f"unique_{name}" not in have:
            # Grouping millions of rows on four or five text columns is slow; grouping on one hash of
            # them is not. Equal keys hash alike, so no duplicate is missed; a collision only sends
            # its keys to the exact count below, which reports real duplicates alone (60 months:
            # fct_indicator 1.9 s -> 1.0 s, benchmarks/README.md).
            sql = (
                f"{head}-- Check (generated from {path.name}'s key header): one row per ({listed}).\n"
                f"with duplicated as (\n    select hash({listed}) as key_hash\n    from {name}\n"
                f"    group by key_hash\n    having count(*) > 1\n)\n\n"
                f"select {listed}, count(*) as n_rows\nfrom {name}\n"
                f"where hash({listed}) in (select key_hash from duplicated)\n"
                f"group by all\nhaving count(*) > 1\n"
            )
            out.append(Check(f"unique_{name}", "error", sql, path, header))
        required = [c for c in model.key if c not in model.nullable]
        if f"not_null_{name}" not in have and required:
            sql = (
                f"{head}-- Check (generated from {path.name}'s key header): no key column null.\n"
                f"select {listed}\nfrom {name}\nwhere " + " or ".join(f"{c} is null" for c in required) + "\n"
            )
            out.append(Check(f"not_null_{name}", "error", sql, path, header))
    return out


def run_check(con: duckdb.DuckDBPyConnection, check: Check) -> CheckResult:
    """Count the offending rows of one check and keep a few of them for the message."""
    body = check.sql.strip().rstrip(";")
    rel = con.sql(body)
    columns = list(rel.columns)
    n = con.sql(f"select count(*) from ({body}) as offending").fetchone()[0]  # type: ignore[index]
    sample = rel.limit(SAMPLE_ROWS).fetchall() if n else []
    return CheckResult(check.name, check.severity, int(n), columns, sample)


def all_checks(models: Iterable[Model], checks_dir: Path = CHECKS_DIR) -> list[Check]:
    """The hand-written checks of ``checks_dir`` and those generated from the models' key headers."""
    checks = load_checks(checks_dir)
    return checks + key_checks(models, {c.name for c in checks})


def run_checks(con: duckdb.DuckDBPyConnection, checks: list[Check] | None = None) -> list[CheckResult]:
    """Run every check against the models in ``con``; never raises on a failing check."""
    if checks is None:
        from warehouse.models import discover_models

        checks = all_checks(discover_models())
    return [run_check(con, c) for c in checks]


def failures(results: list[CheckResult], severity: str = "error") -> list[CheckResult]:
    return [r for r in results if not r.passed and r.severity == severity]
