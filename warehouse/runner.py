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
import re
import shutil
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
from warehouse.checks import (
    CHECKS_DIR,
    Check,
    CheckFailedError,
    CheckResult,
    failures,
    key_checks,
    load_checks,
    run_check,
    run_checks,
)
from warehouse.column_docs import apply_comments
from warehouse.incremental import (
    PARTITION_EXPR,
    LandingState,
    Partitioning,
    PreviousBuild,
    changed_years,
    code_fingerprint,
    read_previous_build,
    seeds_digest,
    write_state,
)
from warehouse.lock import build_lock
from warehouse.model_header import Header, HeaderError, parse_header
from warehouse.publish import building_path, connect_for_build, discard, publish
from warehouse.sql_refs import LANDING_PREFIX, SqlParseError, table_refs

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
SEEDS = ("seed_indicator", "seed_province_merger", "seed_province")
CATALOGUE_COLUMNS = {
    "indicator_code": "varchar",
    "group_code": "varchar",
    "label_vi": "varchar",
    "label_en": "varchar",
    "unit_of_measure": "varchar",
    "max_score": "double",
    "higher_is_better": "boolean",
}
_LANDING_RE = re.compile(r"\{\{\s*landing\('([a-z_]+)'\)\s*\}\}")


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
    header: Header = field(default_factory=Header)

    @property
    def partitioning(self) -> Partitioning:
        return Partitioning.of(self.header)

    @property
    def landing_dataset(self) -> str | None:
        """The landing dataset a staging model reads (``{{ landing('<dataset>') }}``)."""
        m = _LANDING_RE.search(self.sql)
        return m.group(1) if m else None


@dataclass
class BuildResult:
    """What a published build holds; ``cmd_build`` prints it."""

    warehouse_path: Path
    built_at: datetime
    duration_s: float
    landing_files: dict[str, int]
    tables: dict[str, int]
    checks: list[CheckResult] = field(default_factory=list)
    # "full", or "incremental" when the published file was copied and only changed years rebuilt.
    mode: str = "full"
    # Incremental: the years rebuilt in some model, and why a full build was chosen otherwise.
    years_rebuilt: list[str] = field(default_factory=list)
    reason: str = ""

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
        try:
            refs = table_refs(sql)
        except SqlParseError as exc:
            raise ModelError(f"model {name} ({path}) is not valid DuckDB SQL: {exc}") from None
        unknown = sorted(r for r in refs if r not in names and r != name and not r.startswith(LANDING_PREFIX))
        if unknown:
            raise ModelError(
                f"model {name} ({path}) reads {', '.join(unknown)}: neither a model under sql/ nor a seed"
            )
        deps = frozenset(r for r in refs if r in names and r != name)
        try:
            header = parse_header(sql, path)
        except HeaderError as exc:
            raise ModelError(str(exc)) from None
        materialized = "temp_view" if layer == "staging" else (header.materialized or "table")
        models.append(Model(name, layer, materialized, sql, path, deps, header))
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


def _parquet_source(paths: list[str]) -> str:
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    return f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true, filename = true)"


def _empty_source(con: duckdb.DuckDBPyConnection, dataset: str) -> str:
    """An empty temp table with the landing contract's schema (so staging views stay typed)."""
    empty = f"_landing_empty_{dataset}"
    con.register("_empty_in", DATASETS[dataset].empty_table())
    con.execute(
        f"create or replace temp table {empty} as select *, cast(null as varchar) as filename from _empty_in"
    )
    con.unregister("_empty_in")
    return empty


def landing_sources(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    landing: LandingState | None = None,
    years: set[str] | None = None,
) -> tuple[dict[str, str], dict[str, int]]:
    """The relation each ``{{ landing('<dataset>') }}`` stands for, and the file count per dataset.

    All files of a dataset (a glob) unless ``years`` restricts it to the files of those years (an
    incremental build). A dataset without files is an empty temp table with the contract's schema,
    so the staging view is still typed and the marts build empty instead of failing.
    """
    store = Store(landing_dir)
    landing = landing or LandingState.scan(Path(store.root), DATASETS)
    sources: dict[str, str] = {}
    counts: dict[str, int] = {}
    for dataset in DATASETS:
        counts[dataset] = landing.count(dataset)
        paths = landing.paths(dataset, years)
        if not paths:
            sources[dataset] = _empty_source(con, dataset)
        elif years is None:
            pattern = f"{store.root}/{dataset}/**/*.parquet".replace("'", "''")
            sources[dataset] = (
                f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true, filename = true)"
            )
        else:
            sources[dataset] = _parquet_source([f"{store.root}/{p}" for p in paths])
    return sources, counts


def render(model: Model, sources: dict[str, str]) -> str:
    """The model's SQL with its landing placeholders filled in."""

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in sources:
            raise ModelError(f"{model.path}: unknown landing dataset {m.group(1)!r}")
        return sources[m.group(1)]

    return _LANDING_RE.sub(sub, model.sql).strip().rstrip(";")


def configure_build_connection(con: duckdb.DuckDBPyConnection, memory_limit: str | None = None) -> None:
    """Settings every build connection runs with (``memory_limit``: ``Settings.build_memory_limit``)."""
    # Marts are keyed tables, not ordered lists: letting DuckDB write rows in any order lets it
    # parallelise the large copies (several times faster on millions of indicator rows).
    con.execute("set enable_progress_bar = false")
    con.execute("set preserve_insertion_order = false")
    # DuckDB's default limit is 80 % of RAM, which it then uses: a 60-month build peaked at 4 GB.
    # Capped, it spills to ``<file>.tmp`` and runs faster too (24 months: 66 s / 2.2 GB -> 51 s / 1.3 GB;
    # see Settings.build_memory_limit, DVC766_BUILD_MEMORY_LIMIT).
    con.execute(f"set memory_limit = '{memory_limit or Settings.from_env().build_memory_limit}'")


def _create(con: duckdb.DuckDBPyConnection, model: Model, body: str) -> None:
    kind = {"temp_view": "temp view", "view": "view", "table": "table"}[model.materialized]
    try:
        con.execute(f'create or replace {kind} "{model.name}" as {body}')
    except duckdb.Error as exc:
        raise ModelError(f"model {model.name} ({model.path}) failed: {exc}") from exc


def create_macros(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> None:
    """The shared macros of ``sql/macros.sql`` (temp: the published file holds only their results)."""
    path = sql_dir / "macros.sql"
    if path.is_file():
        try:
            con.execute(path.read_text(encoding="utf-8"))
        except duckdb.Error as exc:
            raise ModelError(f"{path} failed: {exc}") from exc


def build_models(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    *,
    sql_dir: Path = SQL_DIR,
    catalogue: Any | None = None,
    landing: LandingState | None = None,
    memory_limit: str | None = None,
) -> dict[str, int]:
    """Create seeds, staging views and every mart in ``con`` (a full build); landing files per dataset."""
    configure_build_connection(con, memory_limit)
    load_seeds(con, catalogue)
    create_macros(con, sql_dir)
    sources, counts = landing_sources(con, landing_dir, landing)
    for model in order_models(discover_models(sql_dir)):
        _create(con, model, render(model, sources))
    return counts


def _year_list(years: set[str]) -> str:
    """``years`` as a SQL list of string literals (years are four digits: nothing to escape)."""
    if any(not (y.isdigit() and len(y) == 4) for y in years):
        raise ModelError(f"partition years must be four digits: {sorted(years)}")
    return "(" + ", ".join(f"'{y}'" for y in sorted(years)) + ")" if years else "(select null where false)"


@dataclass
class IncrementalBuild:
    """Rebuild, inside a copy of the published file, only what changed in the landing zone.

    ``dirty`` holds, for each year-partitioned model (and staging view), the years whose rows must
    be rebuilt; ``changed`` says of every other model (and seed) whether its content changed. An
    incremental model rebuilds the years its inputs' changes reach (``affected_years``), reading
    only the years it needs (``input_years``): its inputs are shadowed, for one statement, by temp
    views restricted to those years. A whole-table model is rebuilt when an input changed and
    compared with the rows it replaces; when they differ, its readers rebuild every year.
    """

    con: duckdb.DuckDBPyConnection
    landing_dir: Path
    landing: LandingState
    changed_landing: dict[str, set[str]]
    all_years: set[str]
    models: list[Model]
    dirty: dict[str, set[str]] = field(default_factory=dict)
    changed: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {m.name: m for m in self.models}
        self.database = self.con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
        for seed in SEEDS:
            self.changed[seed] = False  # the code fingerprint covers the seeds

    def run(self) -> None:
        for model in self.models:
            if model.layer == "staging":
                self.dirty[model.name] = set(self.changed_landing.get(model.landing_dataset or "", set()))
            elif model.partitioning.incremental:
                self._rebuild_years(model)
            else:
                self._rebuild_whole(model)

    def years_rebuilt(self) -> list[str]:
        return sorted(
            {y for name, ys in self.dirty.items() if self.by_name[name].layer != "staging" for y in ys}
        )

    def _incremental(self, name: str) -> bool:
        m = self.by_name.get(name)
        return m is not None and (m.layer == "staging" or m.partitioning.incremental)

    def _rebuild_years(self, model: Model) -> None:
        part = model.partitioning
        whole_inputs_changed = any(
            self.changed.get(d, False) for d in model.depends_on if not self._incremental(d)
        )
        if whole_inputs_changed:
            years = set(self.all_years)
        else:
            years = set()
            for d in model.depends_on:
                if self._incremental(d):
                    years |= part.affected_years(self.dirty[d])
        years &= self.all_years  # a lookback reaching past the last year has nothing to rebuild
        self.dirty[model.name] = years
        if not years or model.materialized == "view":
            return  # a view (its definition is in the copy) shows its inputs' rebuilt years as it stands
        shadowed = self._partitioned_marts(model.depends_on)
        self._shadow(shadowed, part.input_years(years))
        try:
            body = self._render_scoped(model, part.input_years(years))
            try:
                self.con.execute(f'delete from "{model.name}" where {PARTITION_EXPR} in {_year_list(years)}')
                self.con.execute(
                    f'insert into "{model.name}" select * from ({body}) where {PARTITION_EXPR} in {_year_list(years)}'
                )
            except duckdb.Error as exc:
                raise ModelError(f"model {model.name} ({model.path}) failed: {exc}") from exc
        finally:
            self._unshadow(shadowed)

    def _rebuild_whole(self, model: Model) -> None:
        inputs_changed = any(self.dirty.get(d) or self.changed.get(d, False) for d in model.depends_on)
        if not inputs_changed:
            self.changed[model.name] = False
            return
        body = self._render_scoped(model, None)
        if model.materialized != "table":
            _create(self.con, model, body)
            self.changed[model.name] = True
            return
        previous = f"_previous_{model.name}"
        self.con.execute(f'alter table "{model.name}" rename to "{previous}"')
        _create(self.con, model, body)
        differs = self.con.execute(
            f'select exists (select * from "{model.name}" except all select * from "{previous}") '
            f'or exists (select * from "{previous}" except all select * from "{model.name}")'
        ).fetchone()[0]  # type: ignore[index]
        self.con.execute(f'drop table "{previous}"')
        self.changed[model.name] = bool(differs)

    def _render_scoped(self, model: Model, years: set[str] | None) -> str:
        """The model's SQL; staging views it reads are re-created over the files of ``years``."""
        staging = [
            self.by_name[d]
            for d in sorted(model.depends_on)
            if d in self.by_name and self.by_name[d].layer == "staging"
        ]
        if staging:
            sources, _ = landing_sources(self.con, self.landing_dir, self.landing, years)
            for view in staging:
                _create(self.con, view, render(view, sources))
        return render(model, {})

    def _partitioned_marts(self, names: Iterable[str]) -> list[str]:
        return sorted(
            n
            for n in names
            if n in self.by_name and self.by_name[n].layer == "marts" and self._incremental(n)
        )

    def _shadow(self, names: list[str], years: set[str]) -> None:
        """Temp views named like the marts ``names``, showing only ``years`` (temp objects come first
        in DuckDB's search path, so the SQL reading them is unchanged)."""
        for name in names:
            self.con.execute(
                f'create or replace temp view "{name}" as select * from "{self.database}".main."{name}" '
                f"where {PARTITION_EXPR} in {_year_list(years)}"
            )

    def _unshadow(self, names: list[str]) -> None:
        for name in names:
            self.con.execute(f'drop view if exists temp.main."{name}"')

    def run_check(self, check: Check) -> CheckResult:
        """A year-partitioned ``error`` check looks only at the rebuilt years of the tables it reads;
        warnings and whole-table checks look at everything (their counts are reported as a whole)."""
        refs = set(table_refs(check.sql))
        part = Partitioning.of(check.header)
        scoped = (
            part.incremental
            and check.severity == "error"
            and not any(self.changed.get(r, False) for r in refs if not self._incremental(r))
        )
        if not scoped:
            return run_check(self.con, check)
        years = set().union(*(self.dirty.get(r, set()) for r in refs if self._incremental(r)))
        shadowed = self._partitioned_marts(refs)
        self._shadow(shadowed, years)
        try:
            return run_check(self.con, check)
        finally:
            self._unshadow(shadowed)


def table_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every persistent table and view in the build (what analysts will see)."""
    names = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'main' "
        "and not starts_with(table_name, '_') order by table_name"
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
    *,
    mode: str = "full",
    years_rebuilt: list[str] | None = None,
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
            cast(? as varchar[]) as warned_checks,
            cast(? as varchar) as build_mode,
            cast(? as varchar[]) as years_rebuilt
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
            mode,
            years_rebuilt or [],
        ],
    )


def sql_texts(sql_dir: Path, checks_dir: Path) -> dict[str, str]:
    """Every model, check and the shared macros, by path: part of the code fingerprint."""
    out = {}
    macros = sql_dir / "macros.sql"
    if macros.is_file():
        out["macros.sql"] = macros.read_text(encoding="utf-8")
    for layer, folder in (
        ("staging", sql_dir / "staging"),
        ("marts", sql_dir / "marts"),
        ("checks", checks_dir),
    ):
        for path in sorted(folder.glob("*.sql")):
            out[f"{layer}/{path.name}"] = path.read_text(encoding="utf-8")
    return out


def current_code_fingerprint(sql_dir: Path, checks_dir: Path, catalogue: Any | None) -> str:
    """The fingerprint of what a build would be made with now (seeds loaded in a scratch database)."""
    scratch = duckdb.connect()
    try:
        load_seeds(scratch, catalogue)
        digest = seeds_digest(scratch, SEEDS)
    finally:
        scratch.close()
    contract = json.dumps({name: str(schema) for name, schema in DATASETS.items()})
    return code_fingerprint(sql_texts(sql_dir, checks_dir), digest, contract)


def plan_incremental(
    previous: PreviousBuild | None, code: str, landing: LandingState, *, full: bool
) -> tuple[dict[str, set[str]] | None, str]:
    """The years changed per dataset when an incremental build is possible, else None and why not."""
    if full:
        return None, "asked for a full build"
    if previous is None:
        return None, "no published warehouse with a build state to build upon"
    if previous.code != code:
        return None, "the models, checks, seeds or landing contract changed"
    return changed_years(previous.landing, landing.fingerprints()), ""


def build(
    settings: Settings,
    *,
    sql_dir: Path = SQL_DIR,
    checks_dir: Path = CHECKS_DIR,
    catalogue: Any | None = None,
    lock_timeout_s: float = 60.0,
    full: bool = False,
) -> BuildResult:
    """Build the warehouse from the landing zone into a new file, check it, and publish it.

    Incremental when it can be: the published file is copied and only the years whose landing files
    changed are rebuilt (see ``warehouse.incremental``); a full build otherwise, or when ``full``.
    On a failing ``error`` check raises ``CheckFailedError`` and on any other failure re-raises;
    either way the new file is deleted and the published warehouse is left exactly as it was.
    """
    started = time.monotonic()
    target = settings.warehouse_path
    target.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(settings.data_dir / ".build.lock", timeout_s=lock_timeout_s):
        for stale in target.parent.glob(f"{target.name}.building-*"):
            stale.unlink(missing_ok=True)  # left by a build that died; we hold the lock
        landing = LandingState.scan(settings.landing_dir, DATASETS)
        code = current_code_fingerprint(sql_dir, checks_dir, catalogue)
        previous = None if full else read_previous_build(target)
        changed, reason = plan_incremental(previous, code, landing, full=full)
        tmp = building_path(target)
        if changed is None:
            con = connect_for_build(tmp)
        else:
            discard(tmp)
            shutil.copyfile(target, tmp)
            con = connect_for_build(tmp, fresh=False)
        closed = False
        try:
            checks = load_checks(checks_dir)
            checks += key_checks(sql_dir, {c.name for c in checks})
            if changed is None:
                landing_files = build_models(
                    con,
                    settings.landing_dir,
                    sql_dir=sql_dir,
                    catalogue=catalogue,
                    landing=landing,
                    memory_limit=settings.build_memory_limit,
                )
                results = run_checks(con, checks)
                mode, years = "full", sorted(landing.years())
            else:
                configure_build_connection(con, settings.build_memory_limit)
                create_macros(con, sql_dir)
                assert previous is not None
                inc = IncrementalBuild(
                    con,
                    settings.landing_dir,
                    landing,
                    changed,
                    landing.years() | {y for _d, y in previous.landing},
                    order_models(discover_models(sql_dir)),
                )
                inc.run()
                results = [inc.run_check(c) for c in checks]
                landing_files = {d: landing.count(d) for d in DATASETS}
                mode, years = "incremental", inc.years_rebuilt()
            errors = failures(results)
            if errors:
                raise CheckFailedError(errors)
            built_at = datetime.now(UTC)
            apply_comments(con)  # every published table and column says what it holds
            tables = table_rows(con)
            write_build_info(con, built_at, landing_files, tables, results, mode=mode, years_rebuilt=years)
            write_state(con, code, landing.fingerprints())
            con.execute("checkpoint")
            con.close()
            closed = True
            publish(tmp, target)
        except BaseException:
            if not closed:
                con.close()
            discard(tmp)
            raise
    return BuildResult(
        target, built_at, time.monotonic() - started, landing_files, tables, results, mode, years, reason
    )
