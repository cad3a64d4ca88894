"""CLI handlers for the warehouse: ``dvc766 build`` and ``dvc766 sql``.

Why ``sql`` opens the file read-only, in a sandbox (:mod:`warehouse.sql_sandbox`): the published file
is what analysts have open in DBeaver or the DuckDB CLI at the same moment (a read-only handle never
takes a write lock or leaves a WAL), and a query must read the published tables and nothing else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from dvc766.cli import UserError
from dvc766.settings import Settings
from warehouse.checks import CheckFailedError
from warehouse.lock import BuildLockedError
from warehouse.models import ModelError
from warehouse.publish import NoWarehouseError
from warehouse.runner import build
from warehouse.score_check import change_line

MAX_CELL = 60


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".") if value == value else "NaN"
    elif isinstance(value, Decimal | date | datetime):
        text = str(value)
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned plain-text table: numbers right-aligned, text left-aligned, NULL for nulls."""
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float | Decimal) or r[i] is None for r in rows)
        for i in range(len(columns))
    ]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in cells)
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def cmd_build(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Build, check and publish; exit 1 naming the failing checks when nothing could be published."""
    out = out or sys.stdout
    settings = Settings.from_env()
    from dvc766.cli import require_writable_dir

    require_writable_dir(settings.data_dir)
    try:
        result = build(settings, full=bool(getattr(args, "full", False)))
    except CheckFailedError as exc:
        print("dvc766 build: checks failed, nothing published:", file=sys.stderr)
        for f in exc.failures:
            print(f"  {f.describe()}", file=sys.stderr)
        print(f"the published warehouse at {settings.warehouse_path} is unchanged", file=sys.stderr)
        return 1
    except BuildLockedError as exc:
        print(f"dvc766 build: busy: {exc}", file=sys.stderr)
        return 3  # busy, as a second writer of the data folder (dvc766.cli's exit codes)
    except ModelError as exc:
        print(f"dvc766 build: {exc}", file=sys.stderr)
        return 1
    facts = {k: v for k, v in result.tables.items() if not k.startswith(("seed_", "_"))}
    print(f"built {result.warehouse_path} in {result.duration_s:.1f} s", file=out)
    if result.mode == "incremental":
        rebuilt = ", ".join(result.years_rebuilt) or "none (the landing zone is unchanged)"
        print(f"incremental build: years rebuilt: {rebuilt}", file=out)
    else:
        print(f"full build ({result.reason or 'all years'})", file=out)
    read = "read only those of the rebuilt years" if result.mode == "incremental" else "all read"
    print(f"landing files: {sum(result.landing_files.values())} ({read})", file=out)
    print(format_table(["table", "rows"], sorted(facts.items())), file=out)
    print(
        f"checks: {result.checks_passed} passed, {len(result.warnings)} warned, 0 failed",
        file=out,
    )
    for w in result.warnings:
        print(f"  warning: {w.describe()}", file=out)
    for change in result.formula_changes:
        print(f"SCORE FORMULA CHANGED: {change_line(change)}", file=out)
    return 0


def cmd_sql(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Run one query against the published warehouse in the sandbox (``warehouse.sql_sandbox``: the
    published tables and views, read-only, nothing else) and print it as a table."""
    from warehouse.sql_sandbox import run

    out = out or sys.stdout
    settings = Settings.from_env()
    try:
        result = run(settings.warehouse_path, args.query)
    except NoWarehouseError as exc:
        raise UserError(str(exc)) from None
    if result is not None:
        print(format_table(*result), file=out)
    return 0
