"""Build the warehouse: seeds, staging views over the landing Parquet, marts in dependency order,
checks, then an atomic publish.

Why the models are discovered rather than listed: the appendix's ``rpt_*`` models are written by
another hand; dropping a file into ``sql/marts`` is all it takes, and the order comes from the
``FROM``/``JOIN`` names in the SQL. Staging models are TEMP views: they name landing paths, which
would break in the published file as soon as the landing zone moved, so they never reach it.
Marts are materialised as tables (a mart may ask to be a view with ``-- materialized: view``,
provided it reads only marts and seeds).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dvc766.provinces import merger_table, provinces
from dvc766.settings import Settings
from dvc766.storage import Store
from flows.landing_schema import DATASETS
from warehouse.checks import CHECKS_DIR, CheckFailedError, CheckResult, failures, load_checks, run_checks
from warehouse.lock import build_lock
from warehouse.publish import building_path, connect_for_build, discard, publish

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
SEEDS = ("seed_indicator", "seed_province_merger", "seed_province")
# Memory DuckDB may use while building (override with DVC766_BUILD_MEMORY_LIMIT, e.g. "2GB").
BUILD_MEMORY_LIMIT = "1GB"
CATALOGUE_COLUMNS = {
    "indicator_code": "varchar",
    "group_code": "varchar",
    "label_vi": "varchar",
    "label_en": "varchar",
    "unit_of_measure": "varchar",
    "max_score": "double",
    "higher_is_better": "boolean",
}
_REF_RE = re.compile(r"\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_LANDING_RE = re.compile(r"\{\{\s*landing\('([a-z_]+)'\)\s*\}\}")
_MATERIALIZED_RE = re.compile(r"^\s*--\s*materialized:\s*(table|view)\s*$", re.MULTILINE)
_COMMENT_RE = re.compile(r"--[^\n]*")


class ModelError(ValueError):
    """The SQL models cannot be ordered or built (a cycle, a bad reference, a failing statement)."""


@dataclass(frozen=True)
class Model:
    name: str
    layer: str  # staging | marts
    materialized: str  # temp_view | table | view
    sql: str
    path: Path
    depends_on: frozenset[str] = frozenset()


@dataclass
class BuildResult:
    """What a published build holds; ``cmd_build`` prints it."""

    warehouse_path: Path
    built_at: datetime
    duration_s: float
    landing_files: dict[str, int]
    tables: dict[str, int]
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def checks_passed(self) -> int:
        return sum(1 for c in self.checks if c.passed)

    @property
    def warnings(self) -> list[CheckResult]:
        return failures(self.checks, "warn")


def discover_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """Every model file under ``staging/`` and ``marts/``, with the model names it reads."""
    found: list[tuple[str, str, str, Path]] = []
    for layer in ("staging", "marts"):
        for path in sorted((sql_dir / layer).glob("*.sql")):
            found.append((path.stem, layer, path.read_text(encoding="utf-8"), path))
    names = {name for name, *_ in found} | set(SEEDS)
    models = []
    for name, layer, sql, path in found:
        refs = {m.lower() for m in _REF_RE.findall(_COMMENT_RE.sub("", sql))}
        deps = frozenset(r for r in refs if r in names and r != name)
        if layer == "staging":
            materialized = "temp_view"
        else:
            m = _MATERIALIZED_RE.search(sql)
            materialized = m.group(1) if m else "table"
        models.append(Model(name, layer, materialized, sql, path, deps))
    by_name = {m.name: m for m in models}
    for m in models:
        if m.materialized == "view" and any(
            d in by_name and by_name[d].layer == "staging" for d in m.depends_on
        ):
            raise ModelError(f"{m.path}: a published view may not read staging (it names landing paths)")
    return models


def order_models(models: Iterable[Model]) -> list[Model]:
    """Models in an order where each comes after the models it reads (ties by name)."""
    by_name = {m.name: m for m in models}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for m in sorted(by_name.values(), key=lambda m: m.name):
        sorter.add(m.name, *sorted(d for d in m.depends_on if d in by_name))
    try:
        sorter.prepare()
    except CycleError as exc:
        raise ModelError(f"models depend on each other in a cycle: {' -> '.join(exc.args[1])}") from exc
    ordered: list[Model] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(by_name[n] for n in ready)
        sorter.done(*ready)
    return ordered


def load_catalogue() -> Any:
    """The indicator catalogue from ``flows.indicators`` (imported late: it is another module's)."""
    from flows.indicators import catalogue_table  # noqa: PLC0415

    return catalogue_table()


def _as_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if hasattr(table, "to_arrow"):
        return table.to_arrow()
    if hasattr(table, "columns") and hasattr(table, "to_dict"):  # pandas
        return pa.Table.from_pandas(table, preserve_index=False)
    return pa.Table.from_pylist(list(table))


def load_seeds(con: duckdb.DuckDBPyConnection, catalogue: Any | None = None) -> None:
    """Reference tables the marts read: the indicator catalogue, provinces, the 2025 merger."""
    cat = _as_arrow(load_catalogue() if catalogue is None else catalogue)
    missing = [c for c in CATALOGUE_COLUMNS if c not in cat.column_names]
    if missing:
        raise ModelError(f"the indicator catalogue lacks column(s) {', '.join(missing)}")
    con.register("_seed_indicator_in", cat)
    cols = ", ".join(f"cast({c} as {t}) as {c}" for c, t in CATALOGUE_COLUMNS.items())
    extra = [c for c in cat.column_names if c not in CATALOGUE_COLUMNS]
    cols += "".join(f", {c}" for c in extra)
    con.execute(f"create or replace table seed_indicator as select {cols} from _seed_indicator_in")
    con.unregister("_seed_indicator_in")

    merger = pa.Table.from_pylist(
        [
            {"old_province": r.old_province, "new_province": r.new_province, "new_code": r.new_code}
            for r in merger_table()
        ]
    )
    con.register("_seed_merger_in", merger)
    con.execute("create or replace table seed_province_merger as select * from _seed_merger_in")
    con.unregister("_seed_merger_in")

    prov = pa.Table.from_pylist(
        [
            {"province_code": p.code, "department_id": p.department_id, "province_name": p.name}
            for p in provinces()
        ]
    )
    con.register("_seed_province_in", prov)
    con.execute("create or replace table seed_province as select * from _seed_province_in")
    con.unregister("_seed_province_in")


def landing_sources(
    con: duckdb.DuckDBPyConnection, landing_dir: Path
) -> tuple[dict[str, str], dict[str, int]]:
    """The relation each ``{{ landing('<dataset>') }}`` stands for, and the file count per dataset.

    A dataset without files is an empty temp table with the contract's schema, so the staging view
    is still typed and the marts build empty instead of failing.
    """
    store = Store(landing_dir)
    sources: dict[str, str] = {}
    counts: dict[str, int] = {}
    for dataset, schema in DATASETS.items():
        files = store.list_files(dataset, suffix=".parquet")
        counts[dataset] = len(files)
        if files:
            pattern = f"{store.root}/{dataset}/**/*.parquet".replace("'", "''")
            sources[dataset] = (
                f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true, filename = true)"
            )
        else:
            empty = f"_landing_empty_{dataset}"
            con.register("_empty_in", schema.empty_table())
            con.execute(
                f"create or replace temp table {empty} as select *, cast(null as varchar) as filename from _empty_in"
            )
            con.unregister("_empty_in")
            sources[dataset] = empty
    return sources, counts


def render(model: Model, sources: dict[str, str]) -> str:
    """The model's SQL with its landing placeholders filled in."""

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in sources:
            raise ModelError(f"{model.path}: unknown landing dataset {m.group(1)!r}")
        return sources[m.group(1)]

    return _LANDING_RE.sub(sub, model.sql).strip().rstrip(";")


def build_models(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    *,
    sql_dir: Path = SQL_DIR,
    catalogue: Any | None = None,
) -> dict[str, int]:
    """Create seeds, staging views and marts in ``con``; returns landing files per dataset."""
    # Marts are keyed tables, not ordered lists: letting DuckDB write rows in any order lets it
    # parallelise the large copies (several times faster on millions of indicator rows).
    con.execute("set enable_progress_bar = false")
    con.execute("set preserve_insertion_order = false")
    # DuckDB's default limit is 80 % of RAM, which it then uses: a 60-month build peaked at 4 GB.
    # Capped, it spills to ``<file>.tmp`` and runs faster too (24 months: 66 s / 2.2 GB -> 51 s / 1.3 GB).
    con.execute(f"set memory_limit = '{os.environ.get('DVC766_BUILD_MEMORY_LIMIT', BUILD_MEMORY_LIMIT)}'")
    load_seeds(con, catalogue)
    sources, counts = landing_sources(con, landing_dir)
    for model in order_models(discover_models(sql_dir)):
        body = render(model, sources)
        kind = {"temp_view": "temp view", "view": "view", "table": "table"}[model.materialized]
        try:
            con.execute(f'create or replace {kind} "{model.name}" as {body}')
        except duckdb.Error as exc:
            raise ModelError(f"model {model.name} ({model.path}) failed: {exc}") from exc
    return counts


def table_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every persistent table and view in the build (what analysts will see)."""
    names = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'main' order by table_name"
    ).fetchall()
    out = {}
    for (name,) in names:
        out[name] = int(con.execute(f'select count(*) from "{name}"').fetchone()[0])  # type: ignore[index]
    return out


def _dvc766_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("dvc766")
    except PackageNotFoundError:
        return "unknown"


def write_build_info(
    con: duckdb.DuckDBPyConnection,
    built_at: datetime,
    landing_files: dict[str, int],
    tables: dict[str, int],
    results: list[CheckResult],
) -> None:
    """Record how this file was made, in the file itself."""
    warned = [r.name for r in failures(results, "warn")]
    con.execute(
        """
        create or replace table _build_info as select
            cast(? as timestamptz) as built_at,
            cast(? as integer) as landing_files,
            cast(? as json) as landing_files_by_dataset,
            cast(? as json) as table_rows,
            cast(? as varchar) as dvc766_version,
            cast(? as integer) as checks_run,
            cast(? as integer) as checks_passed,
            cast(? as integer) as checks_warned,
            cast(? as varchar[]) as warned_checks
        """,
        [
            built_at,
            sum(landing_files.values()),
            json.dumps(landing_files),
            json.dumps(tables),
            _dvc766_version(),
            len(results),
            sum(1 for r in results if r.passed),
            len(warned),
            warned,
        ],
    )


def build(
    settings: Settings,
    *,
    sql_dir: Path = SQL_DIR,
    checks_dir: Path = CHECKS_DIR,
    catalogue: Any | None = None,
    lock_timeout_s: float = 60.0,
) -> BuildResult:
    """Build every model from the landing zone into a new file, check it, and publish it.

    On a failing ``error`` check raises ``CheckFailedError`` and on any other failure re-raises;
    either way the new file is deleted and the published warehouse is left exactly as it was.
    """
    started = time.monotonic()
    target = settings.warehouse_path
    target.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(settings.data_dir / ".build.lock", timeout_s=lock_timeout_s):
        for stale in target.parent.glob(f"{target.name}.building-*"):
            stale.unlink(missing_ok=True)  # left by a build that died; we hold the lock
        tmp = building_path(target)
        con = connect_for_build(tmp)
        closed = False
        try:
            landing_files = build_models(con, settings.landing_dir, sql_dir=sql_dir, catalogue=catalogue)
            results = run_checks(con, load_checks(checks_dir))
            errors = failures(results)
            if errors:
                raise CheckFailedError(errors)
            built_at = datetime.now(UTC)
            tables = table_rows(con)
            write_build_info(con, built_at, landing_files, tables, results)
            con.execute("checkpoint")
            con.close()
            closed = True
            publish(tmp, target)
        except BaseException:
            if not closed:
                con.close()
            discard(tmp)
            raise
    return BuildResult(target, built_at, time.monotonic() - started, landing_files, tables, results)
