"""Build the warehouse: seeds, staging views over the landing Parquet, marts in dependency order,
checks, then an atomic publish; incremental when it can be.

The jobs around it live in their own modules: model discovery and ordering (``warehouse/models.py``),
seeds and landing sources (``warehouse/inputs.py``), the incremental engine
(``warehouse/incremental_build.py``), checks (``warehouse/checks.py``), publishing
(``warehouse/publish.py``).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from dvc766.landing_schema import DATASETS
from dvc766.settings import Settings
from dvc766.storage import Store
from warehouse.checks import (
    CHECKS_DIR,
    CheckFailedError,
    CheckResult,
    all_checks,
    failures,
    run_checks,
)
from warehouse.column_docs import apply_comments
from warehouse.incremental import (
    LandingState,
    PreviousBuild,
    changed_years,
    code_fingerprint,
    read_previous_build,
    seeds_digest,
    write_state,
)
from warehouse.incremental_build import IncrementalBuild
from warehouse.inputs import landing_sources, load_seeds
from warehouse.landing_compaction import compact_for_build
from warehouse.lock import build_lock
from warehouse.models import (
    SEEDS,
    SQL_DIR,
    Model,
    configure_build_connection,
    create_macros,
    create_model,
    discover_models,
    order_models,
    render,
)
from warehouse.publish import building_path, connect_for_build, discard, publish
from warehouse.score_check import formula_changes


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
    # Scores the portal no longer computes by the seed's formula (warehouse.score_check): never silent.
    formula_changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def checks_passed(self) -> int:
        return sum(1 for c in self.checks if c.passed)

    @property
    def warnings(self) -> list[CheckResult]:
        return failures(self.checks, "warn")


def build_models(
    con: duckdb.DuckDBPyConnection,
    landing_dir: str | Path | Store,
    *,
    sql_dir: Path = SQL_DIR,
    catalogue: Any | None = None,
    landing: LandingState | None = None,
    memory_limit: str | None = None,
    models: list[Model] | None = None,
) -> dict[str, int]:
    """Create seeds, staging views and every mart in ``con`` (a full build); landing files per dataset.
    ``models``: the ordered models when the caller has discovered them already."""
    configure_build_connection(con, memory_limit)
    load_seeds(con, catalogue)
    create_macros(con, sql_dir)
    sources, counts = landing_sources(con, landing_dir, landing)
    for model in models if models is not None else order_models(discover_models(sql_dir)):
        create_model(con, model, render(model, sources))
    return counts


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
        lake = Store.lake(settings)
        lake_landing = lake.sub("landing")
        landing = LandingState.scan(lake_landing, DATASETS)
        # One file per dataset × period for the models to read (what is current is kept).
        landing.compact = compact_for_build(lake, landing)
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
            models = order_models(discover_models(sql_dir))  # parsed once for the build and its checks
            checks = all_checks(models, checks_dir)
            if changed is None:
                landing_files = build_models(
                    con,
                    lake_landing,
                    sql_dir=sql_dir,
                    catalogue=catalogue,
                    landing=landing,
                    memory_limit=settings.build_memory_limit,
                    models=models,
                )
                results = run_checks(con, checks)
                mode, years = "full", sorted(landing.years())
            else:
                configure_build_connection(con, settings.build_memory_limit)
                create_macros(con, sql_dir)
                assert previous is not None
                inc = IncrementalBuild(
                    con,
                    lake_landing,
                    landing,
                    changed,
                    landing.years() | {y for _d, y in previous.landing},
                    models,
                )
                inc.run()
                results = [inc.run_check(c) for c in checks]
                landing_files = {d: landing.count(d) for d in DATASETS}
                mode, years = "incremental", inc.years_rebuilt()
            errors = failures(results)
            if errors:
                raise CheckFailedError(errors)
            built_at = datetime.now(UTC)
            changes = formula_changes(con)
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
        target,
        built_at,
        time.monotonic() - started,
        landing_files,
        tables,
        results,
        mode,
        years,
        reason,
        changes,
    )
