"""What a build reads besides the SQL: the seeds (indicator catalogue, provinces, the 2025 merger) and
the landing zone's Parquet files, as the relations the staging models' ``{{ landing('…') }}`` stand for.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dvc766.indicators import catalogue_table
from dvc766.landing_schema import DATASETS
from dvc766.provinces import merger_table, provinces
from dvc766.score_formulas import formula_table
from dvc766.storage import Store
from warehouse.incremental import (
    LandingState,
)
from warehouse.models import ModelError

log = logging.getLogger(__name__)

SEEDS = ("seed_indicator", "seed_province_merger", "seed_province", "seed_score_formula")
CATALOGUE_COLUMNS = {
    "indicator_code": "varchar",
    "group_code": "varchar",
    "label_vi": "varchar",
    "label_en": "varchar",
    "unit_of_measure": "varchar",
    "max_score": "double",
    "higher_is_better": "boolean",
}


def load_catalogue() -> Any:
    """The indicator catalogue (``dvc766.indicators``, the contract flows and the warehouse share)."""
    return catalogue_table()


def load_score_formulas() -> pa.Table:
    """The score model (``dvc766.score_formulas``: the seed ``score_formulas.csv``), one row per term."""
    return formula_table()


def _as_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if hasattr(table, "to_arrow"):
        return table.to_arrow()
    if hasattr(table, "columns") and hasattr(table, "to_dict"):  # pandas
        return pa.Table.from_pandas(table, preserve_index=False)
    return pa.Table.from_pylist(list(table))


def load_seeds(con: duckdb.DuckDBPyConnection, catalogue: Any | None = None) -> None:
    """Reference tables the marts read: the indicator catalogue, provinces, the 2025 merger, the score
    model."""
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
    load_watch_rules(con)


def load_watch_rules(con: duckdb.DuckDBPyConnection) -> None:
    """The daily watch's rules and thresholds (``dvc766.watch_rules``; ``DVC766_WATCH_RULES`` replaces
    rows of the packaged seed), as ``seed_watch_rule`` for ``rpt_watch_finding``."""
    from dvc766.settings import Settings
    from dvc766.watch_rules import rules_table

    con.register("_seed_watch_rule_in", rules_table(Settings.from_env().watch_rules))
    con.execute("create or replace table seed_watch_rule as select * from _seed_watch_rule_in")
    con.unregister("_seed_watch_rule_in")

    con.register("_seed_score_formula_in", load_score_formulas())
    con.execute("create or replace table seed_score_formula as select * from _seed_score_formula_in")
    con.unregister("_seed_score_formula_in")


def parquet_files_sql(files: str | list[str]) -> str:
    """A glob, or a list of paths, as ``read_parquet``'s first argument (quoted for SQL)."""
    if isinstance(files, str):
        return "'" + files.replace("'", "''") + "'"
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in files) + "]"


def schemas_differ(con: duckdb.DuckDBPyConnection, files: str | list[str]) -> bool:
    """Whether the files (a glob or a list) differ in their columns' names or types.

    Why ask: DuckDB binds a multi-file ``read_parquet`` to the first file's columns by name; only
    ``union_by_name`` copes with files of another landing contract (a column added since), and it
    costs every read of the dataset the footers of all its files again (60 months: 4.4 s of a 32 s
    full build, and 300 MiB). One look at the footers decides it for the whole build.
    """
    signatures = con.execute(
        f"""
        select count(distinct signature) from (
            select file_name, string_agg(
                concat_ws(' ', name, type, converted_type, logical_type), ',' order by name
            ) as signature
            from parquet_schema({parquet_files_sql(files)})
            group by file_name
        )
        """
    ).fetchone()
    return bool(signatures and signatures[0] > 1)


def _parquet_source(con: duckdb.DuckDBPyConnection, dataset: str, files: str | list[str]) -> str:
    union = schemas_differ(con, files)
    if union:
        log.warning(
            "landing files of %s were written under more than one landing contract: the build "
            "unions their columns by name (slower); `dvc766 reland` rewrites them in the current one",
            dataset,
        )
    by_name = "union_by_name = true, " if union else ""
    return f"read_parquet({parquet_files_sql(files)}, hive_partitioning = true, {by_name}filename = true)"


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
    landing_dir: str | Path | Store,
    landing: LandingState | None = None,
    years: set[str] | None = None,
) -> tuple[dict[str, str], dict[str, int]]:
    """The relation each ``{{ landing('<dataset>') }}`` stands for, and the file count per dataset.

    All files of a dataset (a glob) unless ``years`` restricts it to the files of those years (an
    incremental build); where ``landing.compact`` is set, the compact files standing for them
    (``warehouse.landing_compaction``), which carry ``filename`` themselves. A dataset without
    files is an empty temp table with the contract's schema,
    so the staging view is still typed and the marts build empty instead of failing. A landing zone
    on object storage is read through s3fs registered in ``con`` (:func:`register_lake`).
    """
    store = landing_dir if isinstance(landing_dir, Store) else Store(landing_dir)
    register_lake(con, store)
    landing = landing or LandingState.scan(store, DATASETS)
    sources: dict[str, str] = {}
    counts: dict[str, int] = {}
    for dataset in DATASETS:
        counts[dataset] = landing.count(dataset)
        paths = landing.paths(dataset, years)
        if not paths:
            sources[dataset] = _empty_source(con, dataset)
        elif landing.compact is not None:
            compact = landing.compact.get(dataset, {})
            wanted = compact.keys() if years is None else [y for y in years if y in compact]
            sources[dataset] = (
                f"read_parquet({parquet_files_sql(sorted(u for y in wanted for u in compact[y]))})"
            )
        elif years is None:
            sources[dataset] = _parquet_source(con, dataset, store.uri(f"{dataset}/**/*.parquet"))
        else:
            sources[dataset] = _parquet_source(con, dataset, [store.uri(p) for p in paths])
    return sources, counts


def register_lake(con: duckdb.DuckDBPyConnection, store: Store) -> None:
    """Let DuckDB read ``s3://`` paths through s3fs (an fsspec filesystem in Python): DuckDB's own
    httpfs extension is downloaded at first use, which machines without internet cannot do."""
    if store.scheme != "s3":
        return
    import s3fs  # the optional 's3' dependency: only a lake on object storage needs it

    if any("s3" in name.lower() for name in con.list_filesystems()):
        return  # registered already on this connection (an incremental build asks again)
    kwargs = {"endpoint_url": store.s3_endpoint_url} if store.s3_endpoint_url else {}
    con.register_filesystem(s3fs.S3FileSystem(**kwargs))
